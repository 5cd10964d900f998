import t from 'tap';
import type { Db } from '../../src/store/db.js';
import { Sink, type SpoolSource } from '../../src/store/sink.js';
import type { PositionRow } from '../../src/store/rows.js';
import { rowDecode } from '../../src/store/encode-positions.js';
import { Rollup } from '../../src/store/rollup/job.js';
import { addDays, Zone } from '../../src/store/timezone.js';
import { dailyFigures, restatements } from '../../src/store/queries/daily.js';
import { trips } from '../../src/store/queries/trips.js';
import { chdbDatabase, closeChdb } from './helpers/chdb.js';
import { at, Script } from './helpers/scenario.js';

t.teardown(closeChdb);

const zone = new Zone('Asia/Shanghai');
// A day ten days back, so it is closed whatever day the test runs.
const D = addDays(zone.day(Math.floor(Date.now() / 1000)), -10);
const s = zone.bounds(D).start;
const hm = (hms: string, days = 0): number => at(s, hms, days);

/**
 * Terminal A's day D (see the plan below), and the blind-area trip (14:00:10–14:30:10) it uploads late.
 *   D−1 23:50:10 trip X (belongs to D−1) runs to 00:10:10: 10 s + 600 s of it are D's driving, 6 km D's distance.
 *   03:00:10–04:00:10 the terminal is silent (a gap: counts nowhere).
 *   08:00:10 trip 1: 2 min idle, 20 min at 36 km/h, 30 s ACC flicker (merged), 10 min at 72 km/h, off 08:32:40.
 *   12:00:10 trip 2a at 36 km/h, a GPS jump at 12:05:10; 12:09:40–12:19:40 silent while driving (ends the trip),
 *            trip 2b 12:19:40–12:24:40.
 *   14:00:10 blind-area trip (20 min at 36 km/h), uploaded late as backfill.
 *   15:00:10 refuel +30 L. 18:00:10 a 30-s ACC blip (short trip).
 *   23:55:10 trip 3 at 36 km/h into D+1, off at 00:05:40 (belongs to D; 20 s + 270 s of its driving are D's).
 */
function terminalA(): { all: PositionRow[]; blind: PositionRow[] } {
  const a = new Script('1001');
  a.run(hm('23:00:10', -1), hm('23:50:10', -1), 60, 0, 0)
    .run(hm('23:50:10', -1), hm('00:10:10'), 30, 1, 360)
    .run(hm('00:10:10'), hm('03:00:11'), 60, 0, 0)
    .run(hm('04:00:10'), hm('08:00:10'), 60, 0, 0)
    .run(hm('08:00:10'), hm('08:02:10'), 30, 1, 0)
    .run(hm('08:02:10'), hm('08:22:10'), 30, 1, 360)
    .run(hm('08:22:10'), hm('08:22:40'), 30, 0, 0)
    .run(hm('08:22:40'), hm('08:32:40'), 30, 1, 720)
    .run(hm('08:32:40'), hm('12:00:10'), 60, 0, 0)
    .run(hm('12:00:10'), hm('12:10:10'), 30, 1, 360, { jumpAt: hm('12:05:10') })
    .run(hm('12:19:40'), hm('12:24:40'), 30, 1, 360)
    .run(hm('12:24:40'), hm('14:00:10'), 60, 0, 0)
    .run(hm('14:00:10'), hm('14:20:10'), 30, 1, 360)
    .run(hm('14:20:10'), hm('14:30:10'), 60, 0, 0)
    .run(hm('14:30:10'), hm('18:00:10'), 60, 0, 0, { refuelAt: hm('15:00:10') })
    .run(hm('18:00:10'), hm('18:00:40'), 30, 1, 0)
    .run(hm('18:00:40'), hm('23:55:10'), 60, 0, 0)
    .run(hm('23:55:10'), hm('00:05:40', 1), 30, 1, 360)
    .run(hm('00:05:40', 1), hm('01:00:10', 1), 60, 0, 0);
  const isBlind = (r: PositionRow): boolean => r.ts >= hm('14:00:10') && r.ts < hm('14:30:10');
  return { all: a.rows.filter((r) => !isBlind(r)), blind: a.rows.filter(isBlind).map((r) => ({ ...r, backfill: 1 as const })) };
}

/** B: one 10-min trip with an odometer reset in it. C: the same trip, no odometer at all. */
function simpleDay(terminal: string, withOdometer: boolean, odoResetAt?: number): PositionRow[] {
  return new Script(terminal, withOdometer)
    .run(hm('06:00:10'), hm('10:00:10'), 60, 0, 0)
    .run(hm('10:00:10'), hm('10:10:10'), 30, 1, 360, { odoResetAt })
    .run(hm('10:10:10'), hm('11:00:10'), 60, 0, 0).rows;
}

/** Feeds rows through the real sink (so late rows get their restatement marks). */
async function ingest(db: Db, rows: PositionRow[], recvNow = false): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const records = rows.map((r) => (recvNow ? { ...r, recvTs: now } : r));
  let pos = 0;
  let committed = 0;
  const source: SpoolSource<PositionRow, number> = {
    read: async () => {
      const out = records.slice(pos, pos + 500);
      pos += out.length;
      return { records: out, next: pos };
    },
    commit: async (p) => {
      committed = p;
    },
  };
  const sink = new Sink({ db, source, decode: rowDecode(async (positions: PositionRow[]) => ({ positions, ignition: [] })), name: `rollup-${now}-${rows.length}`, replayGraceMs: 0 });
  const loop = sink.start();
  while (sink.stats().records < records.length) await new Promise((r) => setTimeout(r, 5));
  await sink.stop();
  await loop;
  if (committed !== records.length) throw new Error('ingest incomplete');
}

/** geoDistance (WGS-84) against the script's spherical metres: within 0.5 %. */
const near = (got: number, want: number): boolean => Math.abs(got - want) <= want * 0.005;

t.test('a synthetic day rolls up to the figures its script implies, and backfill restates it', async (t) => {
  const db = await chdbDatabase('rollup_a');
  const A = terminalA();
  await ingest(db, [...A.all, ...simpleDay('1002', true, hm('10:05:10')), ...simpleDay('1003', false)]);
  const rollup = new Rollup(db, { firstDay: addDays(D, -1), maxDaysPerTick: 30, timezone: 'Asia/Shanghai' });

  const first = await rollup.tick();
  t.same(first.days.slice(0, 3).map((d) => [d.day, d.terminals]), [[addDays(D, -1), 1], [D, 3], [addDays(D, 1), 1]]);
  t.ok(first.days.length >= 10, 'every closed day up to yesterday');
  // Marks left by this very ingest may be rechecked (same second as the pass): never a new revision.
  t.ok(first.restated.every((r) => r.revised === 0), 'nothing restated yet');

  const inDay = (rows: PositionRow[]): number => rows.filter((r) => r.ts >= s && r.ts < s + 86_400).length;
  const [first1001, b1002, c] = await dailyFigures(db, D, D);
  let a = first1001;
  let b = b1002;
  t.match(a, {
    terminal: '1001', day: D, revision: 1, trips: 4, short_trips: 1,
    drive_s: 10 + 600 + 1800 + 570 + 300 + 290, idle_s: 120 + 30, gap_s: 3600 + 600 + 1830,
    off_s: 86_400 - 3570 - 150 - 6030, odo_m: 59_700, distance_m: 59_700, distance_source: 'odometer',
    distance_rule: 'odometer_agrees_gps', fuel_used_dl: 160, refuels: 1, refuel_dl: 300, max_speed: 720,
    points: inDay(A.all), backfill_points: 0, gps_jumps: 2, odo_resets: 0, first_ts: hm('00:00:10'), last_ts: hm('23:59:40'),
  });
  t.ok(near(Number(a.gps_m), 59_100), `GPS m (incl. 18 km bridged across gaps): ${a.gps_m} ≈ 59 100`);
  t.ok(near(Number(a.gap_m), 18_000), `GPS m across gaps: ${a.gap_m} ≈ 18 000`);
  t.match(b, { terminal: '1002', drive_s: 600, off_s: 14_400 + 2940, odo_m: 5700, odo_resets: 1, distance_m: 5700, distance_rule: 'odometer_corrected_agrees_gps', trips: 1 });
  t.match(c, { terminal: '1003', odo_m: 0, odo_segments: 0, distance_source: 'gps', distance_rule: 'no_odometer', trips: 1 });
  t.ok(near(Number(c.distance_m), 6000), `C distance from GPS: ${c.distance_m} ≈ 6000`);

  const tripsRev1 = await trips(db, '1001', D, D);
  t.same(tripsRev1.map((x) => [x.startTs, x.endTs, x.endReason, x.driveS, x.idleS, x.odoM, x.points, x.revision]), [
    [hm('08:00:10'), hm('08:32:40'), 'acc_off', 1800, 120, 24_000, 65, 1],
    [hm('12:00:10'), hm('12:09:40'), 'gap', 570, 0, 5700, 20, 1],
    [hm('12:19:40'), hm('12:24:40'), 'acc_off', 300, 0, 3000, 10, 1],
    [hm('23:55:10'), hm('00:05:40', 1), 'acc_off', 630, 0, 6300, 21, 1],
  ]);
  for (const [i, want] of [24_000, 5100, 3000, 6300].entries()) t.ok(near(tripsRev1[i].gpsM, want), `trip ${i} GPS: ${tripsRev1[i].gpsM} ≈ ${want}`);
  t.equal(tripsRev1[0].tripId, `1001-${hm('08:00:10')}`);

  // The blind-area upload arrives (0x0704 type 1): late rows for a closed day.
  await ingest(db, A.blind, true);
  const second = await rollup.tick();
  t.same(second.days, [], 'no new day closed');
  t.same(second.restated.map((r) => [r.day, r.terminals, r.revised]), [[addDays(D, -1), 1, 0], [D, 1, 1], [addDays(D, 1), 1, 0]], 'D restated, neighbours checked and unchanged');

  [a, b] = await dailyFigures(db, D, D);
  t.match(a, {
    revision: 2, trips: 5, drive_s: 3570 + 1200, idle_s: 150, gap_s: 4200, off_s: 86_400 - 4770 - 150 - 4200,
    odo_m: 59_700, distance_m: 59_700, fuel_used_dl: 160, points: inDay(A.all) + A.blind.length, backfill_points: 50,
  });
  t.ok(near(Number(a.gap_m), 6000), `GPS across gaps once the gap was filled: ${a.gap_m} ≈ 6000`);
  t.equal(b.revision, 1, 'B untouched');
  const history = await restatements(db, '1001', D);
  t.same(history.map((h) => [h.revision, h.reason, h.late_rows]), [[1, 'initial', 0], [2, 'backfill', 50]]);
  t.match(history[1].changes, /trips 4→5/);
  t.match(history[1].changes, /drive_s 3570→4770/);
  t.notMatch(history[1].changes, /distance_m/, 'the odometer had the blind-area distance all along');

  const tripsRev2 = await trips(db, '1001', D, D);
  t.equal(tripsRev2.length, 5);
  t.same(tripsRev2[3], { ...tripsRev2[3], startTs: hm('14:00:10'), endTs: hm('14:20:10'), driveS: 1200, odoM: 12_000, revision: 2 });
  t.equal(tripsRev2[0].tripId, tripsRev1[0].tripId, 'trip ids are stable across revisions');
  const [prevDay] = await dailyFigures(db, addDays(D, -1), addDays(D, -1), ['1001']);
  t.equal(prevDay.revision, 1);

  // Marks are accounted for: later ticks add no revision.
  await new Promise((r) => setTimeout(r, 1100));
  await rollup.tick();
  const third = await rollup.tick();
  t.same(third.restated, []);
  t.equal((await restatements(db, '1001', D)).length, 2);
});

t.test('a day split into buckets (FLEETGATE_ROLLUP_BUCKETS) gives the same figures as one pass', async (t) => {
  const db = await chdbDatabase('rollup_buckets');
  const others = Array.from({ length: 9 }, (_, i) => simpleDay(String(2001 + i), i % 2 === 0, i === 4 ? hm('10:05:10') : undefined));
  await ingest(db, [...terminalA().all, ...others.flat()]);
  const byTerminal = (a: { figures: { terminal: string } }, b: { figures: { terminal: string } }): number => a.figures.terminal.localeCompare(b.figures.terminal);
  const one = (await new Rollup(db, { timezone: 'Asia/Shanghai' }).computeDay(D)).sort(byTerminal);
  const three = (await new Rollup(db, { timezone: 'Asia/Shanghai', buckets: 3 }).computeDay(D)).sort(byTerminal);
  t.equal(one.length, 10, 'every terminal of the day');
  t.same(three, one, 'identical day results');
});

t.test('the rollup refuses a server without window functions, with the reason', async (t) => {
  const db = await chdbDatabase('rollup_b');
  const old = Object.create(db) as Db;
  Object.defineProperty(old, 'info', { value: { ...db.info, version: '18.16.1', features: { ...db.info.features, windowFunctions: false } } });
  t.throws(() => new Rollup(old), /needs window functions.*18\.16\.1/);
});
