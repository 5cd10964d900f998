/**
 * The comparison behind `verify`, as pure functions: one terminal's ground truth against what the API
 * returned for it. Failing checks (the issue's contract): an answered position missing or duplicated,
 * a stored position that differs from what was sent, a trip count that differs, a day's (or the
 * total) mileage off by more than the tolerance, or an API call that failed. Ignition-event
 * differences and positions the API has but the truth does not are reported, not failed on.
 */
import type { ApiDay, ApiIgnition, ApiPoint, ApiTrip } from './api-client.js';
import type { TruthTerminal } from './truth-format.js';

export interface ApiData {
  points: ApiPoint[];
  trips: ApiTrip[];
  ignition: ApiIgnition[];
  mileage: ApiDay[];
  errors: string[];
}

export interface Tolerance {
  /** Percent of the true km. */
  pct: number;
  /** Absolute floor, km. */
  minKm: number;
}

export interface DayDiff {
  date: string;
  truthKm: number;
  apiKm: number | null;
  ok: boolean;
}

export interface TerminalDiff {
  id: string;
  ok: boolean;
  /** One line per failed check. */
  problems: string[];
  /** Differences reported without failing. */
  notes: string[];
  positions: {
    answered: number;
    found: number;
    missing: number;
    duplicated: number;
    mismatched: number;
    /** Sent, never answered, yet stored (allowed: the answer may have been lost). */
    unansweredStored: number;
    /** In the API, not sent by this terminal in this run. */
    unexpected: number;
    samples: { missing: string[]; duplicated: string[]; mismatched: string[] };
  };
  trips: { expected: number; open: boolean; api: number; ok: boolean; maxStartDeltaS: number; maxDistanceDiffPct: number };
  ignition: { expected: number; api: number; missing: number; unexpected: number };
  mileage: { truthKm: number; apiKm: number; ok: boolean; days: DayDiff[] };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const SAMPLE = 5;

export function mileageOk(truthKm: number, apiKm: number, tol: Tolerance): boolean {
  // Figures come with 3 decimals: compare the difference at that resolution (3 − 2.9 is 0.10000000000000009).
  return round3(Math.abs(apiKm - truthKm)) <= Math.max((truthKm * tol.pct) / 100, tol.minKm);
}

export function compareTerminal(truth: TruthTerminal, api: ApiData, tol: Tolerance): TerminalDiff {
  const problems: string[] = [...api.errors.map((e) => `API error: ${e}`)];
  const notes: string[] = [];
  const p = truth.positions;

  // ---- positions: by device time (whole seconds, strictly increasing per terminal) ----
  const byTime = new Map<number, ApiPoint[]>();
  for (const pt of api.points) {
    const list = byTime.get(pt.time);
    if (list) list.push(pt);
    else byTime.set(pt.time, [pt]);
  }
  const sentTimes = new Set(p.time);
  const pos: TerminalDiff['positions'] = {
    answered: 0,
    found: 0,
    missing: 0,
    duplicated: 0,
    mismatched: 0,
    unansweredStored: 0,
    unexpected: 0,
    samples: { missing: [], duplicated: [], mismatched: [] },
  };
  for (let i = 0; i < p.time.length; i++) {
    const t = p.time[i];
    const found = byTime.get(t);
    if (p.answered[i] !== 1) {
      if (found) pos.unansweredStored++;
      if (found && found.length > 1) {
        pos.duplicated++;
        if (pos.samples.duplicated.length < SAMPLE) pos.samples.duplicated.push(iso(t));
      }
      continue;
    }
    pos.answered++;
    if (!found) {
      pos.missing++;
      if (pos.samples.missing.length < SAMPLE) pos.samples.missing.push(iso(t));
      continue;
    }
    pos.found++;
    if (found.length > 1) {
      pos.duplicated++;
      if (pos.samples.duplicated.length < SAMPLE) pos.samples.duplicated.push(iso(t));
    }
    const a = found[0];
    const diff: string[] = [];
    if (Math.abs(Math.round(a.lat * 1e6) - p.latE6[i]) > 1 || Math.abs(Math.round(a.lon * 1e6) - p.lonE6[i]) > 1) {
      diff.push(`position ${a.lat},${a.lon} ≠ ${p.latE6[i] / 1e6},${p.lonE6[i] / 1e6}`);
    }
    if (a.speedKmh !== undefined && Math.abs(a.speedKmh - p.speed[i] / 10) > 0.051) diff.push(`speed ${a.speedKmh} ≠ ${p.speed[i] / 10}`);
    if (a.acc !== undefined && a.acc !== (p.acc[i] === 1)) diff.push(`acc ${a.acc} ≠ ${p.acc[i] === 1}`);
    if (diff.length > 0) {
      pos.mismatched++;
      if (pos.samples.mismatched.length < SAMPLE) pos.samples.mismatched.push(`${iso(t)}: ${diff.join(', ')}`);
    }
  }
  for (const t of byTime.keys()) if (!sentTimes.has(t)) pos.unexpected++;
  if (pos.missing > 0) problems.push(`${pos.missing} answered position(s) missing, e.g. ${pos.samples.missing.join(', ')}`);
  if (pos.duplicated > 0) problems.push(`${pos.duplicated} position(s) duplicated, e.g. ${pos.samples.duplicated.join(', ')}`);
  if (pos.mismatched > 0) problems.push(`${pos.mismatched} position(s) stored differently, e.g. ${pos.samples.mismatched.join('; ')}`);
  if (pos.unexpected > 0) notes.push(`${pos.unexpected} position(s) in the API that this run did not send`);

  // ---- trips: closed ones must all be there; an open last trip may or may not be ----
  const closed = truth.trips.filter((x) => x.end !== null);
  const openTrip = truth.trips.find((x) => x.end === null);
  const open = openTrip !== undefined;
  const apiTrips = api.trips.length;
  // With a trip still going at the end, the API may or may not show it: trips starting before it
  // must match the finished ones exactly, and at most one may start from it on.
  const apiBefore = openTrip ? api.trips.filter((a) => a.start.time < openTrip.start.time).length : apiTrips;
  const tripsOk = apiBefore === closed.length && apiTrips - apiBefore <= 1;
  let maxStartDeltaS = 0;
  let maxDistanceDiffPct = 0;
  for (const tr of closed) {
    let best: ApiTrip | undefined;
    for (const a of api.trips) if (!best || Math.abs(a.start.time - tr.start.time) < Math.abs(best.start.time - tr.start.time)) best = a;
    if (!best) break;
    maxStartDeltaS = Math.max(maxStartDeltaS, Math.abs(best.start.time - tr.start.time) / 1000);
    if (best.distanceKm !== undefined && tr.distanceKm > 0) maxDistanceDiffPct = Math.max(maxDistanceDiffPct, (Math.abs(best.distanceKm - tr.distanceKm) / tr.distanceKm) * 100);
  }
  if (!tripsOk) {
    problems.push(
      open
        ? `trips: API has ${apiBefore} before the trip still open at the end (and ${apiTrips - apiBefore} from it on), truth has ${closed.length} finished`
        : `trips: API has ${apiTrips}, truth has ${closed.length}`,
    );
  }

  // ---- ignition events: by time and type ----
  const apiIgn = new Set(api.ignition.map((e) => `${e.time}|${e.type}`));
  const truthIgn = new Set(truth.ignition.map((e) => `${e.time}|${e.type}`));
  let ignMissing = 0;
  let ignUnexpected = 0;
  for (const k of truthIgn) if (!apiIgn.has(k)) ignMissing++;
  for (const k of apiIgn) if (!truthIgn.has(k)) ignUnexpected++;
  if (ignMissing + ignUnexpected > 0) notes.push(`ignition events: ${ignMissing} missing, ${ignUnexpected} unexpected (of ${truthIgn.size})`);

  // ---- mileage per local day and in total ----
  const apiDays = new Map(api.mileage.map((d) => [d.date, d.km]));
  const days: DayDiff[] = [];
  let truthKm = 0;
  let apiKm = 0;
  for (const d of truth.kmPerDay) {
    const a = apiDays.get(d.date);
    const apiValue = a === undefined || Number.isNaN(a) ? null : a;
    const ok = apiValue === null ? d.km <= tol.minKm : mileageOk(d.km, apiValue, tol);
    days.push({ date: d.date, truthKm: d.km, apiKm: apiValue, ok });
    truthKm += d.km;
    apiKm += apiValue ?? 0;
  }
  const totalOk = mileageOk(truthKm, apiKm, tol);
  const badDays = days.filter((d) => !d.ok);
  for (const d of badDays) problems.push(`mileage ${d.date}: API ${d.apiKm === null ? 'has no figure' : `${d.apiKm} km`}, truth ${d.truthKm} km`);
  if (!totalOk && badDays.length === 0) problems.push(`mileage total: API ${round3(apiKm)} km, truth ${round3(truthKm)} km`);

  return {
    id: truth.id,
    ok: problems.length === 0,
    problems,
    notes,
    positions: pos,
    trips: { expected: closed.length, open, api: apiTrips, ok: tripsOk, maxStartDeltaS, maxDistanceDiffPct: round3(maxDistanceDiffPct) },
    ignition: { expected: truthIgn.size, api: apiIgn.size, missing: ignMissing, unexpected: ignUnexpected },
    mileage: { truthKm: round3(truthKm), apiKm: round3(apiKm), ok: totalOk && badDays.length === 0, days },
  };
}
