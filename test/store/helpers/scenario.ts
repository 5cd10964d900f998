/**
 * Scripted vehicle days with known figures. Each point is emitted with the vehicle's state; movement happens
 * between points at the *previous* point's speed (sample and hold, as the rollup rules read it), always due
 * north, so distance, odometer (0.1 km) and fuel (−0.1 L per moving segment) are known exactly.
 */
import type { PositionRow } from '../../../src/store/rows.js';

const M_PER_UDEG = 0.111195; // spherical metres per micro-degree of latitude

export class Script {
  readonly rows: PositionRow[] = [];
  private lat = 29_500_000;
  private readonly lon = 106_500_000;
  private odo = 1_000_000;
  private fuel = 500;
  private prev: PositionRow | undefined;

  constructor(
    readonly terminal: string,
    private readonly withOdometer = true,
  ) {}

  /** Points every `every` s for t in [t0, t1). */
  run(t0: number, t1: number, every: number, acc: 0 | 1, speed: number, o: { jumpAt?: number; odoResetAt?: number; refuelAt?: number } = {}): this {
    for (let t = t0; t < t1; t += every) {
      if (t === o.odoResetAt) this.odo = 5;
      if (t === o.refuelAt) this.fuel += 300;
      this.point(t, acc, speed, t === o.jumpAt);
    }
    return this;
  }

  private point(ts: number, acc: 0 | 1, speed: number, jump: boolean): void {
    const p = this.prev;
    if (p && p.speed > 0) {
      const metres = (p.speed / 36) * (ts - p.ts); // 0.1 km/h → m/s
      this.lat += Math.round(metres / M_PER_UDEG);
      this.odo += Math.round(metres / 100);
      this.fuel -= 1;
    }
    const row: PositionRow = {
      terminal: this.terminal,
      ts,
      recvTs: ts + 2,
      latE6: this.lat + (jump ? 2_000_000 : 0),
      lonE6: this.lon,
      speed,
      direction: 0,
      altitude: 300,
      alarm: 0,
      status: 0x000c0002 | acc,
      odometer: this.withOdometer ? this.odo : 0,
      fuel: this.fuel,
      satellites: 12,
      signal: 25,
      backfill: 0,
      extras: '',
    };
    this.rows.push(row);
    this.prev = row;
  }
}

/** Epoch of local 'hh:mm:ss' on the day starting at `dayStart` (+ `days`). */
export function at(dayStart: number, hms: string, days = 0): number {
  const [h, m, s] = hms.split(':').map(Number);
  return dayStart + days * 86_400 + h * 3600 + m * 60 + s;
}
