/**
 * The API's pure parts: parameter formats and conversions, Douglas–Peucker, CSV cells, the track cache's tie
 * to sink commits, the package root (tsx and dist/ layouts) and the published .proto.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ApiError } from '../../src/api/errors.js';
import { csvCell, csvLine } from '../../src/api/output.js';
import { findPackageRoot, packageRoot } from '../../src/api/package-root.js';
import { bbox, dayRange, FORMATS, idList, instantMs, periodDays, timeRange } from '../../src/api/params.js';
import { encodeProto, protoPath } from '../../src/api/proto.js';
import { TrackCache } from '../../src/api/tracks/cache.js';
import { douglasPeucker } from '../../src/api/tracks/simplify.js';
import { dayWindows, localInstant } from '../../src/api/working-hours.js';
import { emptyTrack } from '../../src/store/queries/track-points.js';
import { Zone } from '../../src/store/timezone.js';
import { decodeProto } from './helpers/formats.js';

const zone = new Zone('Asia/Shanghai');

function fails(t: Test, f: () => unknown, message: RegExp): void {
  try {
    f();
    t.fail(`expected ${message}`);
  } catch (err) {
    t.ok(err instanceof ApiError && err.code === 'FG_ERR_BAD_PARAMETER', 'a 400');
    t.match((err as Error).message, message);
  }
}

t.test('instants: ISO with a zone, dates as local midnight, epoch ms', async (t) => {
  t.equal(instantMs('from', '2026-07-01T08:00:00Z', zone), Date.UTC(2026, 6, 1, 8));
  t.equal(instantMs('from', '2026-07-01T08:00:00+08:00', zone), Date.UTC(2026, 6, 1, 0));
  t.equal(instantMs('from', '2026-07-01T08:00:00-0130', zone), Date.UTC(2026, 6, 1, 9, 30));
  t.equal(instantMs('from', '2026-07-01T08:00Z', zone), Date.UTC(2026, 6, 1, 8));
  t.equal(instantMs('from', '2026-07-01T08:00:00.25Z', zone), Date.UTC(2026, 6, 1, 8) + 250);
  t.equal(instantMs('from', '2026-07-01', zone), Date.UTC(2026, 5, 30, 16), 'local midnight, Asia/Shanghai');
  t.equal(instantMs('from', '2026-07-01', new Zone('UTC')), Date.UTC(2026, 6, 1));
  t.equal(instantMs('from', '1782864000000', zone), 1782864000000);
  for (const bad of ['2026-07-01T08:00:00', '2026-7-1', '2026-02-29', '2026-07-01T24:00:00Z', '2026-07-01T08:00:00+15:00', '01/07/2026', '', 'now', '1e12']) {
    t.notOk(FORMATS.instant(bad), JSON.stringify(bad));
  }
  t.ok(FORMATS.instant('2028-02-29'), 'a leap day');
  fails(t, () => instantMs('from', '1999-12-31T23:59:59Z', zone), /must be between 2000-01-01 and 2099-12-31/);
  fails(t, () => instantMs('from', '2100-01-01T00:00:00Z', zone), /must be between/);
  fails(t, () => instantMs('since', '1782864000', zone), /looks like seconds/);
});

t.test('time ranges: seconds that cover exactly [from, to)', async (t) => {
  const r = timeRange({ from: '2026-07-01T00:00:00.500Z', to: '2026-07-01T00:00:10.001Z' }, zone, 31);
  t.same([r.from, r.to], [Date.UTC(2026, 6, 1) / 1000 + 1, Date.UTC(2026, 6, 1) / 1000 + 11], 'a point at :00 is before from; one at :10 is before to');
  fails(t, () => timeRange({ from: '2026-07-02', to: '2026-07-01' }, zone, 31), /^parameter to: must be after from \(from 2026-07-01T16:00:00Z, to 2026-06-30T16:00:00Z\)$/);
  fails(t, () => timeRange({ from: '2026-07-01', to: '2026-08-02' }, zone, 31, 'FLEETGATE_MAX_TRACK_DAYS'), /32\.0 days; at most 31 days per request \(FLEETGATE_MAX_TRACK_DAYS\)/);
  t.doesNotThrow(() => timeRange({ from: '2026-07-01', to: '2026-08-01' }, zone, 31), 'exactly 31 days');
});

t.test('day ranges and periods', async (t) => {
  t.same(dayRange({ from: '2026-07-01', to: '2026-10-01' }, zone, 366), { fromDay: '2026-07-01', toDay: '2026-10-01', days: 92 });
  t.same(dayRange({ period: '2026-Q3' }, zone, 366), { fromDay: '2026-07-01', toDay: '2026-10-01', days: 92 });
  t.same(dayRange({ period: '2024-02' }, zone, 366), { fromDay: '2024-02-01', toDay: '2024-03-01', days: 29 });
  t.same(dayRange({ period: '2026' }, zone, 366), { fromDay: '2026-01-01', toDay: '2027-01-01', days: 365 });
  t.same(periodDays('2026-Q4'), { fromDay: '2026-10-01', toDay: '2027-01-01' });
  t.same(dayRange({ from: '2026-06-30T16:00:00Z', to: '1782921600000' }, zone, 366), { fromDay: '2026-07-01', toDay: '2026-07-02', days: 1 }, 'local midnights as instants');
  t.same(dayRange({ from: '2026-07-01T10:00:00+08:00', to: '2026-07-03T23:59:59+08:00' }, zone, 366), { fromDay: '2026-07-01', toDay: '2026-07-04', days: 3 }, 'times: every day they overlap');
  t.same(dayRange({ from: '2026-07-01T00:00:00Z', to: '2026-07-02' }, zone, 366), { fromDay: '2026-07-01', toDay: '2026-07-02', days: 1 }, '08:00 local on the 1st');
  fails(t, () => dayRange({ from: '2026-07-01', to: '2026-07-01' }, zone, 366), /^parameter to: must be after from/);
  fails(t, () => dayRange({ period: '2026', from: '2026-01-01' }, zone, 366), /give either period or from and to/);
  t.equal(dayRange({ from: '2026-01-01', to: '2027-01-02' }, zone, 366).days, 366);
  fails(t, () => dayRange({ from: '2026-01-01', to: '2027-01-03' }, zone, 366), /367 days; at most 366 per request/);
  for (const bad of ['2026-Q0', '2026-Q5', '2026-00', '2026-13', '26-Q1', '2026Q1', '2026-1']) t.notOk(FORMATS.period(bad), bad);
  // A zone with DST: local days still start at local midnight.
  const ny = new Zone('America/New_York');
  t.same(dayRange({ period: '2026-03' }, ny, 366).days, 31);
  t.equal(instantMs('from', '2026-03-08', ny), Date.UTC(2026, 2, 8, 5));
  t.equal(instantMs('from', '2026-03-09', ny), Date.UTC(2026, 2, 9, 4), 'after the switch to EDT');
});

t.test('id lists and boxes', async (t) => {
  t.same(idList('ids', '013800138000, 13800138000,00000000013800138001', 10), ['13800138000', '13800138001'], 'canonical, deduplicated');
  fails(t, () => idList('ids', '1,2,3', 2), /lists 3 ids; at most 2/);
  fails(t, () => idList('ids', '1,zz', 2), /entry 2 "zz" must be a terminal id/);
  t.same(bbox('106.1,29.2,106.9,29.8'), { minLon: 106.1, minLat: 29.2, maxLon: 106.9, maxLat: 29.8 });
  t.same(bbox('-10,-5.5,10,5.5'), { minLon: -10, minLat: -5.5, maxLon: 10, maxLat: 5.5 });
  fails(t, () => bbox('1,2,3,x'), /four numbers/);
  fails(t, () => bbox('1,2,3,4,5'), /four numbers/);
  fails(t, () => bbox('0x10,2,3,4'), /four numbers/);
  fails(t, () => bbox('0,91,1,92'), /latitudes must be within ±90/);
});

t.test('Douglas–Peucker in metres', async (t) => {
  const lat = [29_500_000, 29_500_000, 29_500_000, 29_500_000, 29_500_000];
  const lon = [106_500_000, 106_500_100, 106_500_200, 106_500_300, 106_500_400];
  t.same([...douglasPeucker(lat, lon, 1)], [0, 4], 'collinear: the ends');
  // A 20 m bump in the middle (1 µdeg latitude ≈ 0.111 m): kept at 10 m, dropped at 30 m.
  const bump = [29_500_000, 29_500_000, 29_500_180, 29_500_000, 29_500_000];
  t.same([...douglasPeucker(bump, lon, 10)], [0, 2, 4], 'points 1 and 3 are 7 m off the segments to the bump');
  t.same([...douglasPeucker(bump, lon, 30)], [0, 4]);
  // Out and back along one line: the turning point is kept (distance to the segment, not to the line).
  t.same([...douglasPeucker([0, 0, 0].map((x) => x + 29_500_000), [106_500_000, 106_510_000, 106_500_500], 10)], [0, 1, 2]);
  t.same([...douglasPeucker([1], [2], 5)], [0]);
  t.same([...douglasPeucker([], [], 5)], []);
  // A long wiggly line: always sorted, first and last kept, every dropped point within the tolerance.
  const n = 20_000;
  const la = Int32Array.from({ length: n }, (_, i) => 29_500_000 + Math.round(Math.sin(i / 50) * 3000) + i * 10);
  const lo = Int32Array.from({ length: n }, (_, i) => 106_500_000 + i * 20);
  const kept = douglasPeucker(la, lo, 15);
  t.ok(kept[0] === 0 && kept[kept.length - 1] === n - 1 && kept.every((v, i) => i === 0 || v > kept[i - 1]));
  t.ok(kept.length > 20 && kept.length < n / 5, `${n} → ${kept.length}`);
});

t.test('working windows as UTC instants, DST days included', async (t) => {
  t.equal(localInstant(zone, '2026-07-01', 480), Date.UTC(2026, 6, 1, 0) / 1000, '08:00 in Shanghai is 00:00Z');
  t.equal(localInstant(zone, '2026-07-01', 1440), Date.UTC(2026, 6, 1, 16) / 1000, '24:00 is the next midnight');
  const ny = new Zone('America/New_York');
  t.equal(localInstant(ny, '2026-03-07', 480), Date.UTC(2026, 2, 7, 13) / 1000, 'EST');
  t.equal(localInstant(ny, '2026-03-08', 480), Date.UTC(2026, 2, 8, 12) / 1000, 'spring forward at 02:00: 08:00 EDT');
  t.equal(localInstant(ny, '2026-03-08', 60), Date.UTC(2026, 2, 8, 6) / 1000, 'before the switch: still EST');
  t.equal(localInstant(ny, '2026-11-01', 480), Date.UTC(2026, 10, 1, 13) / 1000, 'fall back: 08:00 EST');
  const w = dayWindows(zone, '2026-07-03', '2026-07-07', [{ day: 5, startMin: 480, endMin: 720 }, { day: 5, startMin: 780, endMin: 1080 }, { day: 6, startMin: 540, endMin: 720 }]);
  // Fri 3rd: two windows; Sat 4th: one; Sun 5th, Mon 6th: none.
  t.same(w.count, [2, 1, 0, 0]);
  t.same(w.first, [1, 3, 4, 4]);
  t.same(w.starts.map((x) => new Date(x * 1000).toISOString()), ['2026-07-03T00:00:00.000Z', '2026-07-03T05:00:00.000Z', '2026-07-04T01:00:00.000Z']);
});

t.test('CSV cells: quoting and formula defusing', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell('=1+2'), "'=1+2");
  t.equal(csvCell('+CMD|x'), "'+CMD|x");
  t.equal(csvCell('-2'), "'-2");
  t.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  t.equal(csvCell('=a,b'), `"'=a,b"`);
  t.equal(csvCell(-2.5), '-2.5', 'numbers are numbers');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(true), 'true');
  t.equal(csvLine(['a', 1, undefined]), 'a,1,\r\n');
});

t.test('track cache: entries live until a commit of their terminal', async (t) => {
  const c = new TrackCache(1 << 20);
  const pts = emptyTrack(10);
  t.equal(c.generation('A'), 0);
  c.set('k', 'A', c.generation('A'), pts);
  t.equal(c.get('k', 'A'), pts, 'a hit');
  c.decoded(100, ['A', 'A', 'B']);
  t.equal(c.generation('A'), undefined, 'rows of A are in flight: no caching');
  t.equal(c.get('k', 'A'), undefined, 'not served while in flight either (read from ClickHouse instead)');
  const g = c.generation('B');
  c.set('kb', 'B', g, pts);
  t.equal(c.get('kb', 'B'), undefined, 'nothing was stored for B while in flight');
  c.committed(99);
  t.equal(c.generation('A'), undefined, 'a commit before the batch changes nothing');
  c.committed(100);
  t.equal(c.generation('A'), 1, 'committed: a new generation');
  c.set('k', 'A', 1, pts);
  t.equal(c.get('k', 'A'), pts, 'cached again');
  c.decoded(150, ['A']);
  c.committed(150);
  t.equal(c.get('k', 'A'), undefined, 'the next commit of A makes it stale');
  // A query that started before a commit stores nothing useful.
  const before = c.generation('A');
  c.decoded(200, ['A']);
  c.committed(200);
  c.set('k2', 'A', before, pts);
  t.equal(c.get('k2', 'A'), undefined);
  // Bounded by bytes: the least recently used entries go first.
  const small = new TrackCache(4 * (emptyTrack(100).length * 38 + 200 + 20));
  for (let i = 0; i < 10; i++) small.set(`key${i}`, 'C', small.generation('C'), emptyTrack(100));
  t.ok(small.size <= 4 && small.get('key9', 'C') !== undefined && small.get('key0', 'C') === undefined);
});

t.test('the package root and the .proto, from source and from dist/', async (t) => {
  const root = packageRoot();
  t.equal(root.version, '0.1.0');
  t.equal(protoPath(), path.join(root.dir, 'protocols', 'fleetgate.proto'));
  // The compiled layout (dist/src/api) and the Docker image (/app/dist/src/api, package.json in /app).
  const fake = mkdtempSync(path.join(os.tmpdir(), 'fg-root-'));
  t.teardown(() => rmSync(fake, { recursive: true, force: true }));
  mkdirSync(path.join(fake, 'dist', 'src', 'api'), { recursive: true });
  writeFileSync(path.join(fake, 'package.json'), JSON.stringify({ name: 'fleetgate', version: '9.9.9' }));
  writeFileSync(path.join(fake, 'dist', 'package.json'), JSON.stringify({ name: 'other' }));
  t.same(findPackageRoot(path.join(fake, 'dist', 'src', 'api')), { dir: fake, version: '9.9.9' });
  const body = encodeProto('Track', { terminal: '1', fromMs: 1, toMs: 2, count: 1, truncated: false, points: [{ timeMs: 1782864000000, latE6: -29_500_000, lonE6: 106_500_000, acc: true }] });
  t.match(decodeProto('Track', body), { terminal: '1', points: [{ timeMs: 1782864000000, latE6: -29_500_000, lonE6: 106_500_000, acc: true, speedDkmh: 0 }] });
});
