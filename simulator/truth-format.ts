/**
 * The ground-truth file (`--truth FILE`): JSON Lines, one header line, one line per terminal, one
 * summary line. Columns are arrays (one entry per position) to keep a 30,000-terminal day readable
 * by a streaming reader. Written by truth.ts, read by verify.ts; this module is the contract.
 *
 * Times are epoch milliseconds UTC as the terminal sent them (its clock, skew included: what the
 * gateway stores), coordinates micro-degrees, speed 0.1 km/h, odometer 0.1 km, fuel 0.1 L.
 */
export const TRUTH_FORMAT = 'fleetgate-sim-truth';
export const TRUTH_VERSION = 1;

export interface TruthHeader {
  kind: 'header';
  format: typeof TRUTH_FORMAT;
  version: number;
  createdAt: string;
  seed: number;
  terminals: number;
  target: string;
  /** First simulated local day and sampling (device time). */
  startDate: string;
  movingIntervalS: number;
  parkedIntervalS: number;
  timeZone: 'Asia/Shanghai';
  center: { lat: number; lon: number };
}

/** Every position the terminal sent at least once, in device-time order. */
export interface TruthPositions {
  time: number[];
  latE6: number[];
  lonE6: number[];
  speed: number[];
  direction: number[];
  /** 1 ACC on. */
  acc: number[];
  odometer: number[];
  fuel: number[];
  /** 1 when an answer with result 0 came back: the gateway must have kept it. */
  answered: number[];
  /** 1 when (re)sent in a 0x0704 type 1 blind-area batch. */
  backfill: number[];
}

export interface TruthPoint {
  time: number;
  latE6: number;
  lonE6: number;
}

/** A trip: a run of ACC-on positions ended by an ACC-off one (both answered). */
export interface TruthTrip {
  start: TruthPoint;
  /** Null while the trip was still going when the run ended. */
  end: TruthPoint | null;
  distanceKm: number;
  maxSpeedKmh: number;
}

export interface TruthIgnition {
  time: number;
  type: 'on' | 'off';
  latE6: number;
  lonE6: number;
}

export interface TruthDay {
  /** Local date (Asia/Shanghai), YYYY-MM-DD. */
  date: string;
  km: number;
}

export interface TruthTerminal {
  kind: 'terminal';
  id: string;
  phone: string;
  protocol: '2013' | '2019';
  plate: string;
  clockSkewS: number;
  odometerResets: Array<{ time: number; beforeKm: number }>;
  positions: TruthPositions;
  trips: TruthTrip[];
  ignition: TruthIgnition[];
  /** Distance driven per local day, from the answered positions (true distance, not the reset odometer). */
  kmPerDay: TruthDay[];
  counts: { sent: number; answered: number; backfilled: number; trips: number; km: number };
}

export interface TruthSummaryLine {
  kind: 'summary';
  terminals: number;
  positionsSent: number;
  positionsAnswered: number;
  trips: number;
  km: number;
}

export type TruthLine = TruthHeader | TruthTerminal | TruthSummaryLine;
