/**
 * Pieces → one local day's figures and the trips that start in it. Pure: the same pieces always give the
 * same figures, which is what makes restatements explainable.
 *
 * Rules (r1), stated once:
 * - A segment (point → next point) takes the state of its first point (sample and hold).
 * - Time: a segment longer than gapS counts nowhere (gap_s = day length − driving − idling − parked);
 *   a segment crossing midnight is split there.
 * - Distance and fuel: a segment belongs to the day it starts in.
 * - Trips: ACC-on runs; ACC off shorter than mergeOffS between two runs is flicker (one trip); a reporting gap
 *   ends a trip; a trip belongs to the day it starts in; trips shorter than minTripS are counted as short_trips.
 *   Trip id = `<terminal>-<start epoch>`: stable for as long as its first report is.
 */
import { createHash } from 'node:crypto';
import { REASON, type Piece } from './pieces.js';
import { chooseDistance, type DistanceSource } from './reconcile.js';
import type { RollupRules } from './rules.js';
import type { DayBounds } from '../timezone.js';

export type TripEnd = 'acc_off' | 'gap' | 'open' | 'cut';

export interface Trip {
  terminal: string;
  tripId: string;
  startTs: number;
  endTs: number;
  endReason: TripEnd;
  driveS: number;
  idleS: number;
  gpsM: number;
  odoM: number;
  maxSpeed: number;
  points: number;
  startLat: number;
  startLon: number;
  endLat: number;
  endLon: number;
}

export interface DayFigures {
  terminal: string;
  day: string;
  distanceM: number;
  distanceSource: DistanceSource;
  distanceRule: string;
  gpsM: number;
  odoM: number;
  gapM: number;
  trips: number;
  shortTrips: number;
  driveS: number;
  idleS: number;
  offS: number;
  gapS: number;
  fuelUsedDl: number;
  refuels: number;
  refuelDl: number;
  maxSpeed: number;
  points: number;
  backfillPoints: number;
  invalidPoints: number;
  firstTs: number;
  lastTs: number;
  gpsJumps: number;
  odoResets: number;
  odoJumps: number;
  odoSegments: number;
  gpsSegments: number;
  /** sha256 (16 hex) of the figures and trips: equal digest = nothing to restate. */
  digest: string;
}

export interface DayResult {
  figures: DayFigures;
  trips: Trip[];
}

interface Chain {
  pieces: Piece[];
  truncated: boolean;
}

const endsWithGap = (p: Piece, r: RollupRules): boolean => p.nextTs - p.lastTs > r.gapS;

/** Groups a terminal's pieces (sorted) into ACC-on chains with flicker merged. */
function chains(pieces: readonly Piece[], r: RollupRules): Chain[] {
  const out: Chain[] = [];
  let cur: Chain | undefined;
  let off: Piece[] = [];
  for (const p of pieces) {
    if (p.acc === 0) {
      if (cur) off.push(p);
      continue;
    }
    let join = false;
    if (cur) {
      const last = cur.pieces[cur.pieces.length - 1];
      if (off.length === 0) join = p.startReason === REASON.day;
      else if (p.startReason === REASON.acc && off[0].startReason === REASON.acc && !off.some((o) => endsWithGap(o, r))) {
        join = off[off.length - 1].nextTs - off[0].startTs < r.mergeOffS && !endsWithGap(last, r);
      }
    }
    if (cur && join) cur.pieces.push(...off, p);
    else {
      if (cur) out.push(cur);
      cur = { pieces: [p], truncated: p.startReason === REASON.first };
    }
    off = [];
  }
  if (cur) out.push(cur);
  return out;
}

function toTrip(c: Chain, windowEnd: number, r: RollupRules): Trip {
  const first = c.pieces[0];
  let lastOn = first;
  for (const p of c.pieces) if (p.acc === 1) lastOn = p;
  let endTs = lastOn.lastTs;
  let endReason: TripEnd;
  let [endLat, endLon] = [lastOn.endLat, lastOn.endLon];
  if (lastOn.nextTs === lastOn.lastTs) endReason = lastOn.lastTs >= windowEnd - r.gapS ? 'cut' : 'open';
  else if (endsWithGap(lastOn, r)) endReason = 'gap';
  else {
    endReason = 'acc_off';
    endTs = lastOn.nextTs;
    [endLat, endLon] = [lastOn.nextLat, lastOn.nextLon];
  }
  const t: Trip = {
    terminal: first.terminal, tripId: `${first.terminal}-${first.startTs}`, startTs: first.startTs, endTs, endReason,
    driveS: 0, idleS: 0, gpsM: 0, odoM: 0, maxSpeed: 0, points: 0,
    startLat: first.startLat, startLon: first.startLon, endLat, endLon,
  };
  // Pieces after the last ACC-on one belong to the parked time that follows, not to the trip.
  for (const p of c.pieces.slice(0, c.pieces.indexOf(lastOn) + 1)) {
    t.driveS += p.driveS + p.carryDriveS;
    t.idleS += p.idleS + p.carryIdleS;
    // Distance covered across a reporting gap belongs to the day, not to the trip the gap ended.
    t.gpsM += p.gpsM - p.gapM;
    t.odoM += (p.odoDm - p.gapOdoDm) * 100;
    t.maxSpeed = Math.max(t.maxSpeed, p.maxSpeed);
    t.points += p.points;
  }
  return t;
}

function digest(f: Omit<DayFigures, 'digest'>, trips: readonly Trip[]): string {
  return createHash('sha256').update(JSON.stringify([f, trips])).digest('hex').slice(0, 16);
}

/**
 * Figures of `day` for one terminal. `pieces` are that terminal's pieces of the whole read window, sorted;
 * `windowEnd` is the end of that window (trips reaching it are 'cut').
 */
export function reduceDay(pieces: readonly Piece[], day: string, prevDay: string, bounds: DayBounds, windowEnd: number, r: RollupRules): DayResult | undefined {
  const own = pieces.filter((p) => p.day === day);
  if (own.length === 0) return undefined;
  // Loops, not spreads: a terminal-day can have more pieces than a call takes arguments.
  const sum = (k: keyof Piece, ps: readonly Piece[] = own): number => ps.reduce((a, p) => a + (p[k] as number), 0);
  const before = pieces.filter((p) => p.day === prevDay);

  const all = chains(pieces, r).filter((c) => !c.truncated && c.pieces[0].startTs >= bounds.start && c.pieces[0].startTs < bounds.end);
  const trips = all.map((c) => toTrip(c, windowEnd, r));
  const kept = trips.filter((t) => t.endTs - t.startTs >= r.minTripS);

  const driveS = sum('driveS') + sum('carryDriveS', before);
  const idleS = sum('idleS') + sum('carryIdleS', before);
  const offS = sum('offS') + sum('carryOffS', before);
  const odoM = sum('odoDm') * 100;
  const gpsM = sum('gpsM');
  const choice = chooseDistance(
    { gpsM, odoM, segments: sum('segments'), gpsSegments: sum('gpsSegments'), odoSegments: sum('odoSegments'), odoResets: sum('odoResets'), odoJumps: sum('odoJumps') },
    r,
  );
  const f: Omit<DayFigures, 'digest'> = {
    terminal: own[0].terminal,
    day,
    distanceM: choice.distanceM,
    distanceSource: choice.source,
    distanceRule: choice.rule,
    gpsM,
    odoM,
    gapM: sum('gapM'),
    trips: kept.length,
    shortTrips: trips.length - kept.length,
    driveS,
    idleS,
    offS,
    gapS: Math.max(0, bounds.end - bounds.start - driveS - idleS - offS),
    fuelUsedDl: sum('fuelUsedDl'),
    refuels: sum('refuels'),
    refuelDl: sum('refuelDl'),
    maxSpeed: own.reduce((a, p) => Math.max(a, p.maxSpeed), 0),
    points: sum('points'),
    backfillPoints: sum('backfillPoints'),
    invalidPoints: sum('invalidPoints'),
    firstTs: own.reduce((a, p) => Math.min(a, p.startTs), Infinity),
    lastTs: own.reduce((a, p) => Math.max(a, p.lastTs), 0),
    gpsJumps: sum('gpsJumps'),
    odoResets: sum('odoResets'),
    odoJumps: sum('odoJumps'),
    odoSegments: sum('odoSegments'),
    gpsSegments: sum('gpsSegments'),
  };
  return { figures: { ...f, digest: digest(f, kept) }, trips: kept };
}
