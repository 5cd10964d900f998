/**
 * `verify` against an API stand-in (node:http, the issue-5 routes and shapes): passes when the API
 * holds what the truth says, fails on a missing or duplicated answered position, a different trip
 * count, mileage off by more than 1 %, a stored value that differs, an API error; the comparison
 * itself (compare.ts) is also checked case by case.
 */
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../simulator/cli.js';
import { compareTerminal, type ApiData } from '../../simulator/compare.js';
import { haversineE6, localDayStart, parseLocalDate } from '../../simulator/geo.js';
import { SampleLog, ST_ANSWERED, ST_SENT } from '../../simulator/samples.js';
import { truthOf } from '../../simulator/truth.js';
import { TRUTH_FORMAT, type TruthTerminal } from '../../simulator/truth-format.js';
import { newSample } from '../../simulator/vehicle.js';
import { startFakeApi, type Store, type StoredPoint } from './fake-api.js';

const DAY = parseLocalDate('2026-03-02')!;
const T0 = localDayStart(DAY);

/** [seconds after local midnight, metres east of the start, ACC] → one answered position each. */
type Step = [number, number, 0 | 1];

/**
 * Two days: parked, a 5-step trip east and back (two trips), parked; the next day one trip east
 * left open at the end. Positions move 1.5 km per minute (90 km/h).
 */
function steps(): Step[] {
  const s: Step[] = [];
  for (let h = 0; h < 8; h++) s.push([h * 3600, 0, 0]);
  for (let k = 0; k <= 6; k++) s.push([8 * 3600 + k * 60, k * 1500, 1]);
  s.push([8 * 3600 + 7 * 60, 9000, 0]);
  for (let k = 0; k <= 6; k++) s.push([12 * 3600 + k * 60, 9000 - k * 1500, 1]);
  s.push([12 * 3600 + 7 * 60, 0, 0]);
  for (let h = 13; h < 24; h++) s.push([h * 3600, 0, 0]);
  for (let k = 0; k <= 3; k++) s.push([86_400 + 9 * 3600 + k * 60, k * 1500, 1]);
  return s;
}

function truthFor(id: string, unanswered: number[] = []): TruthTerminal {
  const log = new SampleLog(true);
  const x = newSample();
  let prev: [number, number] | null = null;
  steps().forEach(([sec, east, acc], i) => {
    x.timeMs = T0 + sec * 1000;
    x.latE6 = 29_560_000;
    x.lonE6 = 106_550_000 + Math.round(east / 0.0968); // ≈ 0.0968 m per micro-degree of longitude at 29.56° N
    x.distanceM += prev ? haversineE6(prev[0], prev[1], x.latE6, x.lonE6) : 0;
    x.speedRaw = acc ? 900 : 0;
    x.acc = acc;
    x.odometerRaw = 123_000 + Math.floor(x.distanceM / 100);
    prev = [x.latE6, x.lonE6];
    const seq = log.push(x, x.timeMs);
    log.setState(seq, unanswered.includes(i) ? ST_SENT : ST_ANSWERED);
  });
  return truthOf(log, { id, phone: id.padStart(12, '0'), protocol: '2013', plate: '渝A00001', clockSkewS: 0 });
}

function storeFrom(truths: TruthTerminal[]): Store {
  const store: Store = new Map();
  for (const tt of truths) {
    const p = tt.positions;
    const pts: StoredPoint[] = p.time.map((time, i) => ({ time, lat: p.latE6[i] / 1e6, lon: p.lonE6[i] / 1e6, speedKmh: p.speed[i] / 10, acc: p.acc[i] === 1, backfill: false }));
    store.set(tt.id, pts.filter((_, i) => p.answered[i] === 1));
  }
  return store;
}

async function truthFile(dir: string, truths: TruthTerminal[]): Promise<string> {
  const file = join(dir, `truth-${Math.random().toString(36).slice(2)}.jsonl`);
  const header = { kind: 'header', format: TRUTH_FORMAT, version: 1, createdAt: new Date().toISOString(), seed: 1, terminals: truths.length, target: 'test', startDate: '2026-03-02', movingIntervalS: 60, parkedIntervalS: 3600, timeZone: 'Asia/Shanghai', center: { lat: 29.56, lon: 106.55 } };
  await writeFile(file, [header, ...truths, { kind: 'summary' }].map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

async function runVerify(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(['verify', ...args], { out: (s) => void out.push(s), err: (s) => void out.push(s), isTTY: false });
  return { code, out: out.join('') };
}

t.test('verify over HTTP', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-verify-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const truths = [truthFor('13900000001'), truthFor('13900000002', [3, 20])];
  t.equal(truths[0].counts.trips, 2, 'the scenario has two finished trips');
  t.equal(truths[0].trips.length, 3, '… and one still open at the end');
  t.same(truths[0].kmPerDay.map((d) => d.date), ['2026-03-02', '2026-03-03'], 'two local days');
  const file = await truthFile(dir, truths);

  t.test('passes when the API has every answered position', async (t) => {
    const api = await startFakeApi(storeFrom(truths));
    t.teardown(() => api.close());
    const r = await runVerify(['--truth', file, '--api', api.url]);
    t.equal(r.code, 0, r.out);
    t.match(r.out, /verify PASSED: 2 terminals, 0 differ/);
    t.ok(api.requests.some((u) => u.startsWith('/api/v1/terminals/13900000001/track?from=')), 'track route used');
    t.ok(api.requests.some((u) => u.includes('/mileage?') && u.includes('interval=day')), 'daily mileage route used');
    t.ok(api.requests.some((u) => u.includes('/trips?')) && api.requests.some((u) => u.includes('/ignition-events?')), 'trips and ignition routes used');
  });

  t.test('fails when one answered position is missing', async (t) => {
    const store = storeFrom(truths);
    const gone = store.get('13900000001')!.splice(10, 1)[0];
    const api = await startFakeApi(store);
    t.teardown(() => api.close());
    const r = await runVerify(['--truth', file, '--api', api.url]);
    t.equal(r.code, 1, 'exit 1');
    t.match(r.out, /DIFF 13900000001: .*missing 1/);
    t.match(r.out, new Date(gone.time).toISOString());
    t.match(r.out, /verify FAILED: 2 terminals, 1 differ/);
  });

  t.test('an unanswered position may be missing (the gateway promised nothing)', async (t) => {
    const store = storeFrom(truths);
    t.equal(store.get('13900000002')!.length, truths[1].positions.time.length - 2, 'two sent, unanswered, not stored');
    const api = await startFakeApi(store);
    t.teardown(() => api.close());
    t.equal((await runVerify(['--truth', file, '--api', api.url])).code, 0);
  });

  t.test('fails when a position comes back twice', async (t) => {
    const store = storeFrom(truths);
    const list = store.get('13900000002')!;
    list.push({ ...list[5] });
    const api = await startFakeApi(store, { keepDuplicates: true });
    t.teardown(() => api.close());
    const r = await runVerify(['--truth', file, '--api', api.url]);
    t.equal(r.code, 1);
    t.match(r.out, /DIFF 13900000002: .*duplicated 1/);
  });

  t.test('fails when a stored value differs', async (t) => {
    const store = storeFrom(truths);
    store.get('13900000001')![12].lat += 0.001;
    const api = await startFakeApi(store);
    t.teardown(() => api.close());
    const r = await runVerify(['--truth', file, '--api', api.url]);
    t.equal(r.code, 1);
    t.match(r.out, /stored differently/);
  });

  t.test('API key: sent as a bearer token; without it the 401 fails the check', async (t) => {
    const api = await startFakeApi(storeFrom(truths), { apiKey: 's3cret' });
    t.teardown(() => api.close());
    const ok = await runVerify(['--truth', file, '--api', api.url, '--api-key', 's3cret']);
    t.equal(ok.code, 0, ok.out);
    t.ok(api.authHeaders.every((h) => h === 'Bearer s3cret'), 'Authorization: Bearer <key>');
    const no = await runVerify(['--truth', file, '--api', api.url]);
    t.equal(no.code, 1);
    t.match(no.out, /HTTP 401 missing or wrong API key/);
  });

  t.test('an unknown terminal (404) fails', async (t) => {
    const store = storeFrom(truths);
    store.delete('13900000002');
    const api = await startFakeApi(store);
    t.teardown(() => api.close());
    const r = await runVerify(['--truth', file, '--api', api.url]);
    t.equal(r.code, 1);
    t.match(r.out, /API error: GET \/terminals\/13900000002\/track: HTTP 404/);
  });

  t.test('usage errors exit 2', async (t) => {
    t.equal((await runVerify(['--api', 'http://127.0.0.1:1'])).code, 2, 'no --truth');
    const remote = await runVerify(['--truth', file, '--api', 'http://192.0.2.1:8080']);
    t.equal(remote.code, 2);
    t.match(remote.out, /not a loopback address/);
    t.equal((await runVerify(['--truth', file, '--api', 'ftp://x'])).code, 2, 'not http');
  });

  t.test('an unreadable truth file fails', async (t) => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"kind":"header","format":"something else"}\n');
    const api = await startFakeApi(new Map());
    t.teardown(() => api.close());
    const r = await runVerify(['--truth', bad, '--api', api.url]);
    t.equal(r.code, 1);
    t.match(r.out, /not a fleetgate-sim truth file/);
  });
});

t.test('compareTerminal: trips, mileage tolerance, ignition', async (t) => {
  const truth = truthFor('13900000009');
  const p = truth.positions;
  const points = p.time.map((time, i) => ({ time, lat: p.latE6[i] / 1e6, lon: p.lonE6[i] / 1e6, speedKmh: p.speed[i] / 10, acc: p.acc[i] === 1 }));
  const trips = truth.trips.map((x) => ({ start: { time: x.start.time }, end: x.end ? { time: x.end.time } : null, distanceKm: x.distanceKm }));
  const ignition = truth.ignition.map((e) => ({ time: e.time, type: e.type }));
  const mileage = truth.kmPerDay.map((d) => ({ date: d.date, km: d.km }));
  const base = (): ApiData => ({ points: [...points], trips: [...trips], ignition: [...ignition], mileage: mileage.map((d) => ({ ...d })), errors: [] });
  const tol = { pct: 1, minKm: 0.1 };

  t.ok(compareTerminal(truth, base(), tol).ok, 'identical data passes');
  const closedOnly = base();
  closedOnly.trips = closedOnly.trips.filter((x) => x.end !== null);
  t.ok(compareTerminal(truth, closedOnly, tol).ok, 'the trip still open at the end may be left out');

  const oneTripLess = base();
  oneTripLess.trips.splice(0, 1);
  const d1 = compareTerminal(truth, oneTripLess, tol);
  t.notOk(d1.ok, 'a missing trip fails');
  t.match(d1.problems.join('\n'), /trips: API has 1 before the trip still open at the end \(and 1 from it on\), truth has 2 finished/);
  const split = base();
  split.trips.push({ start: { time: trips[0].start.time + 1000 }, end: { time: trips[0].start.time + 2000 }, distanceKm: 0.1 });
  split.trips.push({ start: { time: trips[1].start.time + 1000 }, end: { time: trips[1].start.time + 2000 }, distanceKm: 0.1 });
  t.notOk(compareTerminal(truth, split, tol).ok, 'extra trips fail');

  const day = truth.kmPerDay[0];
  t.ok(day.km > 3, `first day ${day.km} km`);
  const off2 = base();
  off2.mileage[0].km = day.km * 1.02;
  const d2 = compareTerminal(truth, off2, tol);
  t.notOk(d2.ok, 'mileage 2 % off fails');
  t.match(d2.problems.join('\n'), /mileage 2026-03-02: API/);
  const off05 = base();
  off05.mileage[0].km = day.km * 1.005;
  t.ok(compareTerminal(truth, off05, tol).ok, 'mileage 0.5 % off passes');
  const noDay = base();
  noDay.mileage = [];
  t.notOk(compareTerminal(truth, noDay, tol).ok, 'a day without a figure fails');

  const ign = base();
  ign.ignition.pop();
  const d3 = compareTerminal(truth, ign, tol);
  t.ok(d3.ok, 'ignition differences are reported, not failed');
  t.equal(d3.ignition.missing, 1);
  t.match(d3.notes.join('\n'), /ignition events: 1 missing/);

  const extra = base();
  extra.points.push({ time: T0 + 1000, lat: 29.56, lon: 106.55, speedKmh: 0, acc: false });
  const d4 = compareTerminal(truth, extra, tol);
  t.ok(d4.ok, 'a point the run did not send is a note');
  t.equal(d4.positions.unexpected, 1);

  const accWrong = base();
  accWrong.points[9] = { ...accWrong.points[9], acc: !accWrong.points[9].acc };
  t.notOk(compareTerminal(truth, accWrong, tol).ok, 'a different ACC state fails');
});
