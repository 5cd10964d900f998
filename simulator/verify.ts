/**
 * `fleetgate-sim verify`: streams the truth file, asks the API about each terminal (a few in
 * parallel), compares (compare.ts) and sums up. The track is fetched one local day at a time so no
 * request exceeds the API's range limits; windows are [day start − 1 ms, day end − 1 ms], which gives
 * the same points whether the API treats `from`/`to` as inclusive or exclusive (times are whole seconds).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ApiError, fetchIgnition, fetchMileage, fetchTrack, fetchTrips, httpApi, type ApiGet, type ApiPoint } from './api-client.js';
import { compareTerminal, type ApiData, type TerminalDiff, type Tolerance } from './compare.js';
import { localDayNumber, localDayStart } from './geo.js';
import type { VerifyOptions } from './options.js';
import { TRUTH_FORMAT, type TruthHeader, type TruthLine, type TruthTerminal } from './truth-format.js';

export interface VerifyResult {
  ok: boolean;
  api: string;
  truth: string;
  header: TruthHeader | null;
  terminals: number;
  failedTerminals: number;
  totals: {
    positionsAnswered: number;
    positionsFound: number;
    missing: number;
    duplicated: number;
    mismatched: number;
    unexpected: number;
    tripsExpected: number;
    tripsApi: number;
    tripCountMismatches: number;
    ignitionMissing: number;
    ignitionUnexpected: number;
    truthKm: number;
    apiKm: number;
    mileageMismatches: number;
    apiErrors: number;
  };
  /** Terminals with problems (all terminals with --verbose). */
  diffs: TerminalDiff[];
  /** Problems not tied to one terminal (unreadable truth file, …). */
  errors: string[];
}

/** Everything the API says about one terminal over the truth's time span. */
export async function fetchApiData(get: ApiGet, truth: TruthTerminal): Promise<ApiData> {
  const data: ApiData = { points: [], trips: [], ignition: [], mileage: [], errors: [] };
  const times = truth.positions.time;
  if (times.length === 0) return data;
  const first = times[0];
  const last = times[times.length - 1];
  const firstDay = localDayNumber(first);
  const lastDay = localDayNumber(last);
  const from = localDayStart(firstDay);
  const to = localDayStart(lastDay + 1);
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      data.errors.push(err instanceof ApiError ? err.message : `${what}: ${(err as Error).message}`);
      return undefined;
    }
  };
  for (let day = firstDay; day <= lastDay; day++) {
    const pts: ApiPoint[] | undefined = await attempt('track', () => fetchTrack(get, truth.id, localDayStart(day) - 1, localDayStart(day + 1) - 1));
    if (!pts) break;
    for (const p of pts) data.points.push(p);
  }
  data.trips = (await attempt('trips', () => fetchTrips(get, truth.id, first, last + 1000))) ?? [];
  data.ignition = (await attempt('ignition events', () => fetchIgnition(get, truth.id, from - 1, to - 1))) ?? [];
  data.mileage = (await attempt('mileage', () => fetchMileage(get, truth.id, from, to))) ?? [];
  return data;
}

async function* truthLines(file: string): AsyncGenerator<TruthLine> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as TruthLine;
    } catch {
      throw new Error(`${file}:${n}: not a JSON line`);
    }
  }
}

export async function verify(o: VerifyOptions, progress: (line: string) => void = () => {}, get: ApiGet = httpApi(o.api, o.apiKey, o.requestTimeoutS * 1000)): Promise<VerifyResult> {
  const tol: Tolerance = { pct: o.tolerancePct, minKm: o.minToleranceKm };
  const result: VerifyResult = {
    ok: false,
    api: o.api,
    truth: o.truth,
    header: null,
    terminals: 0,
    failedTerminals: 0,
    totals: {
      positionsAnswered: 0, positionsFound: 0, missing: 0, duplicated: 0, mismatched: 0, unexpected: 0,
      tripsExpected: 0, tripsApi: 0, tripCountMismatches: 0, ignitionMissing: 0, ignitionUnexpected: 0,
      truthKm: 0, apiKm: 0, mileageMismatches: 0, apiErrors: 0,
    },
    diffs: [],
    errors: [],
  };
  const running = new Set<Promise<void>>();
  const check = async (tt: TruthTerminal): Promise<void> => {
    const diff = compareTerminal(tt, await fetchApiData(get, tt), tol);
    const t = result.totals;
    result.terminals++;
    t.positionsAnswered += diff.positions.answered;
    t.positionsFound += diff.positions.found;
    t.missing += diff.positions.missing;
    t.duplicated += diff.positions.duplicated;
    t.mismatched += diff.positions.mismatched;
    t.unexpected += diff.positions.unexpected;
    t.tripsExpected += diff.trips.expected;
    t.tripsApi += diff.trips.api;
    if (!diff.trips.ok) t.tripCountMismatches++;
    t.ignitionMissing += diff.ignition.missing;
    t.ignitionUnexpected += diff.ignition.unexpected;
    t.truthKm += diff.mileage.truthKm;
    t.apiKm += diff.mileage.apiKm;
    if (!diff.mileage.ok) t.mileageMismatches++;
    if (diff.problems.some((p) => p.startsWith('API error'))) t.apiErrors++;
    if (!diff.ok) result.failedTerminals++;
    if (!diff.ok || o.verbose) result.diffs.push(diff);
    if (result.terminals % 1000 === 0) progress(`verify: ${result.terminals} terminals checked, ${result.failedTerminals} differ\n`);
  };
  try {
    for await (const line of truthLines(o.truth)) {
      if (line.kind === 'header') {
        if (line.format !== TRUTH_FORMAT) throw new Error(`${o.truth} is not a fleetgate-sim truth file`);
        result.header = line;
      } else if (line.kind === 'terminal') {
        const p = check(line).finally(() => running.delete(p));
        running.add(p);
        if (running.size >= o.concurrency) await Promise.race(running);
      }
    }
    await Promise.all(running);
    if (result.header === null) result.errors.push(`${o.truth}: no header line`);
  } catch (err) {
    await Promise.allSettled(running);
    result.errors.push((err as Error).message);
  }
  const t = result.totals;
  t.truthKm = Math.round(t.truthKm * 1000) / 1000;
  t.apiKm = Math.round(t.apiKm * 1000) / 1000;
  result.diffs.sort((a, b) => (a.id < b.id ? -1 : 1));
  result.ok = result.errors.length === 0 && result.failedTerminals === 0 && result.terminals > 0;
  if (result.terminals === 0 && result.errors.length === 0) result.errors.push('the truth file has no terminals');
  return result;
}

const n = (x: number): string => x.toLocaleString('en-US');

export function formatVerifyResult(r: VerifyResult, verbose: boolean): string {
  const lines: string[] = [];
  for (const d of r.diffs) {
    if (d.ok && !verbose) continue;
    const pos = d.positions;
    lines.push(
      `${d.ok ? 'ok  ' : 'DIFF'} ${d.id}: positions ${n(pos.found)}/${n(pos.answered)} (missing ${pos.missing}, duplicated ${pos.duplicated}, mismatched ${pos.mismatched}), ` +
        `trips ${d.trips.api}/${d.trips.expected}${d.trips.open ? '+open' : ''}, km ${d.mileage.apiKm}/${d.mileage.truthKm}, ignition missing ${d.ignition.missing} unexpected ${d.ignition.unexpected}`,
    );
    for (const p of d.problems) lines.push(`       ✗ ${p}`);
    for (const p of d.notes) lines.push(`       · ${p}`);
  }
  const t = r.totals;
  lines.push(
    `verify ${r.ok ? 'PASSED' : 'FAILED'}: ${n(r.terminals)} terminals, ${n(r.failedTerminals)} differ`,
    `  positions  answered ${n(t.positionsAnswered)}  found ${n(t.positionsFound)}  missing ${n(t.missing)}  duplicated ${n(t.duplicated)}  mismatched ${n(t.mismatched)}  not sent by this run ${n(t.unexpected)}`,
    `  trips      truth ${n(t.tripsExpected)}  API ${n(t.tripsApi)}  terminals with a different count ${n(t.tripCountMismatches)}`,
    `  mileage    truth ${t.truthKm.toFixed(3)} km  API ${t.apiKm.toFixed(3)} km  terminals off ${n(t.mileageMismatches)}`,
    `  ignition   missing ${n(t.ignitionMissing)}  unexpected ${n(t.ignitionUnexpected)}`,
  );
  if (t.apiErrors > 0) lines.push(`  API errors on ${n(t.apiErrors)} terminals`);
  for (const e of r.errors) lines.push(`  error: ${e}`);
  return lines.join('\n') + '\n';
}
