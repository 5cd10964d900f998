/**
 * Synthetic JT808 fleet days (deterministic): vehicles park, make 1–3 trips with stops, report every
 * movingIntervalS (ACC on) / parkedIntervalS (ACC off), and carry the warts real fleets have — resends,
 * blind-area backfill, GPS jumps, odometer resets, optional parked GPS drift. Used by bench/store.ts and the
 * store tests (bytes per stored position).
 */
import type { PositionRow } from '../src/store/rows.js';

export interface SynthOptions {
  terminals: number;
  /** UTC epoch of the day's first second. */
  dayStart: number;
  seed?: number;
  movingIntervalS?: number;
  parkedIntervalS?: number;
  /** Share of vehicles whose parked fix wanders (±40 µdeg sine + ±10 µdeg noise). Default 0. */
  driftShare?: number;
  /** Share of rows resent (same ts, later recv). Default 0.005. */
  resendRate?: number;
  /** Share of vehicles with a 1–3 h blind area uploaded late as 0x0704 backfill. Default 0.02. */
  blindShare?: number;
  /** GPS jumps per row. Default 1/5000. */
  jumpRate?: number;
  /** Share of vehicles whose odometer resets once. Default 0.001. */
  odoResetShare?: number;
  /** First terminal number (ids are 13800000000 + n). */
  firstId?: number;
  /** Called once per vehicle-day with what was really driven (the truth the rollup's figures are checked against). */
  onTruth?: (t: SynthTruth) => void;
}

export interface SynthTruth {
  terminal: string;
  /** Metres moved (sum of the simulated steps, before GPS jumps and rounding). */
  drivenM: number;
  trips: number;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const M_PER_DEG_LAT = 111_195;
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** One vehicle's day, in device-time order (resends and backfill keep their own recvTs). */
export function synthVehicleDay(n: number, o: SynthOptions): PositionRow[] {
  const rnd = mulberry32((o.seed ?? 1) * 1_000_003 + n);
  const moving = o.movingIntervalS ?? 30;
  const parked = o.parkedIntervalS ?? 30;
  const terminal = String(13_800_000_000 + (o.firstId ?? 0) + n);
  let lat = 29.4 + rnd() * 0.4;
  let lon = 106.3 + rnd() * 0.5;
  let alt = 200 + Math.floor(rnd() * 300);
  let odo = 100_000 + Math.floor(rnd() * 2_000_000); // 0.1 km
  let odoFrac = 0;
  let fuel = 300 + Math.floor(rnd() * 400); // 0.1 L
  let sats = 10;
  let signal = 24;
  let heading = Math.floor(rnd() * 360);
  const drift = rnd() < (o.driftShare ?? 0);
  let odoResetAt = rnd() < (o.odoResetShare ?? 0.001) ? o.dayStart + Math.floor(rnd() * 86_400) : -1;

  // Trips: 1–3, 10–60 min, between 07:00 and 20:00 local.
  const nTrips = 1 + (rnd() < 0.5 ? 1 : 0) + (rnd() < 0.2 ? 1 : 0);
  const trips: [number, number][] = [];
  let cursor = o.dayStart + 7 * 3600;
  for (let i = 0; i < nTrips; i++) {
    const start = cursor + Math.floor(rnd() * 3 * 3600);
    const end = start + 600 + Math.floor(rnd() * 3000);
    trips.push([start, end]);
    cursor = end + 1800;
  }
  const blind = rnd() < (o.blindShare ?? 0.02);
  const blindStart = o.dayStart + 6 * 3600 + Math.floor(rnd() * 10 * 3600);
  const blindEnd = blindStart + 3600 + Math.floor(rnd() * 7200);

  const rows: PositionRow[] = [];
  let drivenM = 0;
  let speed = 0;
  let t = o.dayStart + Math.floor(rnd() * parked);
  const dayEnd = o.dayStart + 86_400;
  while (t < dayEnd) {
    const inTrip = trips.some(([a, b]) => t >= a && t < b);
    if (inTrip) {
      // Speed: accelerate towards 20–60 km/h, 10 % of points stopped at a light.
      speed = rnd() < 0.1 ? 0 : Math.max(0, Math.min(900, speed + Math.round((rnd() - 0.45) * 120)));
      heading = (heading + Math.round((rnd() - 0.5) * 30) + 360) % 360;
      const m = (speed / 36) * moving; // metres since last point
      drivenM += m;
      lat += (m * Math.cos((heading * Math.PI) / 180)) / M_PER_DEG_LAT;
      lon += (m * Math.sin((heading * Math.PI) / 180)) / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180));
      alt += Math.round((rnd() - 0.5) * 2);
      odoFrac += (m * (1 + 0.01 * (n % 3))) / 100;
      odo += Math.floor(odoFrac);
      odoFrac -= Math.floor(odoFrac);
      if (rnd() < m / 1000) fuel = Math.max(1, fuel - 1);
    } else speed = 0;
    if (odoResetAt > 0 && t >= odoResetAt) {
      odo = Math.floor(rnd() * 100);
      odoResetAt = -1;
    }
    if (rnd() < 0.1) sats = Math.max(4, Math.min(20, sats + (rnd() < 0.5 ? -1 : 1)));
    if (rnd() < 0.1) signal = Math.max(5, Math.min(31, signal + (rnd() < 0.5 ? -1 : 1)));
    let latE6 = Math.round(lat * 1e6);
    let lonE6 = Math.round(lon * 1e6);
    if (!inTrip && drift) {
      latE6 += Math.round(40 * Math.sin(t / 3000) + (rnd() - 0.5) * 20);
      lonE6 += Math.round(40 * Math.cos(t / 3700) + (rnd() - 0.5) * 20);
    }
    if (rnd() < (o.jumpRate ?? 1 / 5000)) {
      if (rnd() < 0.3) [latE6, lonE6] = [0, 0];
      else [latE6, lonE6] = [latE6 + 2_000_000, lonE6 - 2_000_000];
    }
    const acc = inTrip ? 1 : 0;
    const inBlind = blind && t >= blindStart && t < blindEnd;
    const signals = inTrip && rnd() < 0.2 ? 1 << (2 + Math.floor(rnd() * 3)) : 0;
    const row: PositionRow = {
      terminal,
      ts: t,
      recvTs: inBlind ? blindEnd + 120 + Math.floor((t - blindStart) / 100) : t + Math.floor(rnd() * 3),
      latE6,
      lonE6,
      speed,
      direction: heading,
      altitude: alt,
      alarm: 0,
      status: 0x000c0002 | acc,
      odometer: odo,
      fuel,
      satellites: sats,
      signal,
      backfill: inBlind ? 1 : 0,
      extras: `2504${hex8(signals)}2a020000`,
    };
    rows.push(row);
    if (rnd() < (o.resendRate ?? 0.005)) rows.push({ ...row, recvTs: row.recvTs + 30 + Math.floor(rnd() * 90) });
    t += acc ? moving : parked;
    if (rnd() < 0.02) t += rnd() < 0.5 ? 1 : -1; // clock jitter
  }
  o.onTruth?.({ terminal, drivenM, trips: nTrips });
  return rows;
}

/** The whole fleet's day, vehicle after vehicle (a generator: a few hundred MB is never held at once). */
export function* synthFleetDay(o: SynthOptions): Generator<PositionRow[]> {
  for (let n = 0; n < o.terminals; n++) yield synthVehicleDay(n, o);
}
