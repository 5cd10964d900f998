/**
 * The simulated fleet: who each terminal is (id, phone BCD, protocol, plate), its vehicle, and which
 * faults it carries. Everything is derived from the run seed and the terminal index, so two runs with
 * the same flags play the same fleet.
 */
import { DAY_MS, localDayStart, move, type Point } from './geo.js';
import { hash32, Rng } from './rng.js';
import { Vehicle, type Area, type VehicleProfile } from './vehicle.js';

export type ProtocolChoice = '2013' | '2019' | 'mix';

export interface FleetOptions {
  terminals: number;
  seed: number;
  protocol: ProtocolChoice;
  /** Canonical id of terminal 0; terminal i is firstId + i. */
  firstId: number;
  area: Area;
  /** Local day number of the first simulated day. */
  startDay: number;
  movingS: number;
  parkedS: number;
  /** Expected device-time span of the run (for placing device-time faults inside it). */
  spanMs: number;
  /** Wall-clock length of the run (for placing offline episodes inside it); 0 = unbounded. */
  runMs: number;
  faults: FleetFaults;
}

export interface FleetFaults {
  /** Fraction of terminals that go offline once and come back with a 0x0704 backlog. */
  backfill: number;
  /** Length of each offline episode, ms (0 = a fifth of the run). */
  offlineMs: number;
  /** Max clock error in seconds for the skewed terminals (0 = none). */
  clockSkewS: number;
  /** Fraction of terminals with a skewed clock when clockSkewS > 0. */
  clockSkewFraction: number;
  /** Fraction of terminals whose reported odometer resets to 0 once. */
  odometerReset: number;
}

export const NO_FAULTS: FleetFaults = { backfill: 0, offlineMs: 0, clockSkewS: 0, clockSkewFraction: 0.1, odometerReset: 0 };

export interface TerminalSpec {
  index: number;
  /** Canonical terminal id (digits, no leading zeros), as the API names it. */
  id: string;
  /** Phone BCD digits as sent: 12 (2013) or 20 (2019) digits. */
  phoneBcd: string;
  layout: '2013' | '2019';
  plate: string;
  makerId: string;
  model: string;
  deviceId: string;
  imei: string;
  profile: VehicleProfile;
  /** Terminal clock error, seconds (device time = true time + skew). */
  clockSkewS: number;
  /** One offline episode, wall-clock ms after the run started. */
  offline: { atMs: number; forMs: number } | null;
}

export const CHONGQING: Area = { centerLat: 29.56, centerLon: 106.55, radiusM: 25_000 };

/** Expected ACC-on seconds per vehicle-day (≈1.3 trips of ≈25 min), measured by test/simulator/fleet.test.ts. */
const ACC_ON_S_PER_DAY = 2000;
/** Parked terminals report this many times less often than moving ones (10 s / 300 s in the field). */
export const PARKED_RATIO = 30;

/**
 * Device-time sampling so that `reportsPerDay` reports cover one vehicle-day ("a day compressed into
 * the run"). Null → field defaults, 10 s moving / 300 s parked.
 */
export function chooseSampling(reportsPerDay: number | null): { movingS: number; parkedS: number } {
  if (reportsPerDay === null || !(reportsPerDay > 0)) return { movingS: 10, parkedS: 300 };
  const m = (ACC_ON_S_PER_DAY + (86_400 - ACC_ON_S_PER_DAY) / PARKED_RATIO) / reportsPerDay;
  const movingS = Math.min(120, Math.max(1, Math.round(m)));
  return { movingS, parkedS: Math.min(3600, movingS * PARKED_RATIO) };
}

/** Reports per vehicle-day at the given sampling (for sizing the device-time span of a run). */
export function reportsPerDay(movingS: number, parkedS: number): number {
  return ACC_ON_S_PER_DAY / movingS + (86_400 - ACC_ON_S_PER_DAY) / parkedS;
}

const PLATE_LETTERS = 'ABCDFGH';
const PLATE_CHARS = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function layoutOf(protocol: ProtocolChoice, index: number): '2013' | '2019' {
  if (protocol === 'mix') return index % 2 === 0 ? '2013' : '2019';
  return protocol;
}

export function terminalSpec(o: FleetOptions, index: number): TerminalSpec {
  const rng = new Rng(hash32(o.seed, index, 7));
  const id = String(o.firstId + index);
  const layout = layoutOf(o.protocol, index);
  let plate = '渝' + PLATE_LETTERS[rng.int(0, PLATE_LETTERS.length - 1)];
  for (let i = 0; i < 5; i++) plate += PLATE_CHARS[rng.int(0, PLATE_CHARS.length - 1)];

  const home: Point = { lat: o.area.centerLat, lon: o.area.centerLon };
  move(home, rng.range(0, 360), o.area.radiusM * 0.7 * Math.sqrt(rng.next()));
  const tankL = [50, 60, 70][rng.int(0, 2)];
  const profile: VehicleProfile = {
    homeLat: home.lat,
    homeLon: home.lon,
    tankL,
    consumptionL100: rng.range(8, 13),
    idleLph: rng.range(0.8, 1.2),
    initialOdometerM: Math.round(rng.range(5_000, 150_000)) * 1000,
    initialFuelL: tankL * rng.range(0.4, 0.95),
  };
  const f = o.faults;
  const startMs = localDayStart(o.startDay);
  if (f.odometerReset > 0 && rng.next() < f.odometerReset) profile.odometerResetAfterMs = startMs + Math.round(o.spanMs * rng.range(0.2, 0.6));
  let clockSkewS = 0;
  if (f.clockSkewS > 0 && rng.next() < f.clockSkewFraction) {
    clockSkewS = rng.int(1, Math.ceil(f.clockSkewS)) * (rng.chance(0.5) ? 1 : -1);
  }
  let offline: TerminalSpec['offline'] = null;
  if (f.backfill > 0 && o.runMs > 0 && rng.next() < f.backfill) {
    const atMs = Math.round(o.runMs * rng.range(0.2, 0.5));
    const forMs = Math.round(Math.min(f.offlineMs > 0 ? f.offlineMs : o.runMs * 0.2, o.runMs * 0.85 - atMs));
    if (forMs > 0) offline = { atMs, forMs };
  }
  return {
    index,
    id,
    phoneBcd: id.padStart(layout === '2019' ? 20 : 12, '0'),
    layout,
    plate,
    makerId: 'FLTGT',
    model: 'SIM-808',
    deviceId: 'S' + index.toString(36).toUpperCase().padStart(6, '0'),
    imei: '86' + String(index).padStart(13, '0'),
    profile,
    clockSkewS,
    offline,
  };
}

export function buildFleet(o: FleetOptions): TerminalSpec[] {
  const specs: TerminalSpec[] = new Array(o.terminals);
  for (let i = 0; i < o.terminals; i++) specs[i] = terminalSpec(o, i);
  return specs;
}

export function createVehicle(o: FleetOptions, spec: TerminalSpec): Vehicle {
  return new Vehicle(spec.profile, o.area, o.seed, spec.index, o.movingS, o.parkedS, localDayStart(o.startDay));
}

/** Device-time span covered by `reports` reports at the fleet's sampling, ms. */
export function spanForReports(reports: number, movingS: number, parkedS: number): number {
  return Math.ceil((reports / reportsPerDay(movingS, parkedS)) * DAY_MS);
}
