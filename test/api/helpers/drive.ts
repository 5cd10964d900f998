/**
 * Scripted terminal days as JT808 reports (LocationInput, what a terminal encodes): each point carries the
 * vehicle's state; movement between points happens at the previous point's speed, due north, so distance,
 * odometer and trips are known. Times are epoch ms (the codec writes them as GMT+8 BCD).
 */
import type { LocationInput } from '../../../protocols/jt808/messages/location.js';

const M_PER_UDEG = 0.111195;

export class Drive {
  readonly points: LocationInput[] = [];
  private latE6 = 29_500_000;
  private readonly lonE6: number;
  private odoHm = 100_000; // 0.1 km
  private fuelDl = 500;
  private prev: { ts: number; speedKmh: number } | undefined;

  /** `odoFactor`: odometer metres per GPS metre (a miscalibrated meter is not 1). */
  constructor(lonE6 = 106_500_000, private readonly withOdometer = true, private readonly odoFactor = 1) {
    this.lonE6 = lonE6;
  }

  /** The odometer restarts from `hm` (0.1 km): a meter swap or reset. */
  resetOdometer(hm: number): this {
    this.odoHm = hm;
    return this;
  }

  /** Points every `every` s for t in [t0, t1) (epoch s). */
  run(t0: number, t1: number, every: number, acc: 0 | 1, speedKmh: number): this {
    for (let t = t0; t < t1; t += every) this.point(t, acc, speedKmh);
    return this;
  }

  private point(ts: number, acc: 0 | 1, speedKmh: number): void {
    if (this.prev && this.prev.speedKmh > 0) {
      const m = (this.prev.speedKmh / 3.6) * (ts - this.prev.ts);
      this.latE6 += Math.round(m / M_PER_UDEG);
      this.odoHm += Math.round((m * this.odoFactor) / 100);
      this.fuelDl -= 1;
    }
    this.points.push({
      time: ts * 1000, status: 0x000c0002 | acc, latE6: this.latE6, lonE6: this.lonE6, speedKmh, direction: 0, altitudeM: 300,
      ...(this.withOdometer ? { mileageRaw: this.odoHm } : {}), fuelRaw: this.fuelDl, satellites: 12, rssi: 25,
    });
    this.prev = { ts, speedKmh };
  }
}
