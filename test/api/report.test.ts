/**
 * The fleet report's trips outside working hours, computed without a join (store/queries/fleet-report.ts), against
 * a plain reference: every current trip joined with its day's figures, classified in JS with Intl. The days are
 * made to hit each special case: a GPS-sourced day with odometer readings, an odometer day with a trip that moved
 * by GPS only, a restated day whose new revision merged two trips, a weekend, split windows.
 */
import t from 'tap';
import { parseWorkingHours } from '../../src/config/kinds.js';
import { outsideHours } from '../../src/store/queries/fleet-report.js';
import { addDays } from '../../src/store/timezone.js';
import { dayWindows } from '../../src/api/working-hours.js';
import { Drive } from './helpers/drive.js';
import { backfill, report, startHarness, type Harness } from './helpers/harness.js';
import { mondayBack } from './helpers/scenario.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({ database: 'report' });
});
t.teardown(() => h?.close());

const F = '13800138010'; // odometer at half rate and reset: GPS-sourced days with odometer readings
const G = '13800138011'; // a 2-minute crawl at 5 km/h: GPS moves, the odometer (0.1 km) does not
const H = '13800138012'; // a trip cut by a reporting gap, merged into one by late backfill

interface Ref {
  trips: number;
  m: number;
}

/** Current trips (joined with their day's revision and source), classified in JS. */
async function reference(fromDay: string, toDay: string, rules: string): Promise<Map<string, Ref>> {
  const parsed = parseWorkingHours(rules);
  if (!parsed.ok) throw new Error(parsed.problem);
  const rows = await h.db.query<{ terminal: string; s: number; e: number; odo: number; gps: number; src: string }>(
    `SELECT t.terminal AS terminal, toUInt32(t.start_ts) AS s, toUInt32(t.end_ts) AS e, t.odo_m AS odo, t.gps_m AS gps, toString(v.distance_source) AS src
     FROM (SELECT * FROM ${h.db.t('trips')} FINAL WHERE day >= {from:Date} AND day < {to:Date}) AS t
     INNER JOIN (SELECT * FROM ${h.db.t('vehicle_daily')} FINAL WHERE day >= {from:Date} AND day < {to:Date}) AS v
       ON t.terminal = v.terminal AND t.day = v.day AND t.revision = v.revision`,
    { from: fromDay, to: toDay },
  );
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: h.zone.tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', weekday: 'short' });
  const local = (s: number) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(s * 1000)).map((x) => [x.type, x.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, dow: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday) + 1, sec: +p.hour * 3600 + +p.minute * 60 + +p.second };
  };
  const out = new Map<string, Ref>();
  for (const r of rows) {
    const a = local(Number(r.s));
    const b = local(Number(r.e));
    const endSec = b.date === a.date ? b.sec : b.date === addDays(a.date, 1) && b.sec === 0 ? 86_400 : Infinity;
    const inside = parsed.value.some((w) => w.day === a.dow && a.sec >= w.startMin * 60 && endSec <= w.endMin * 60);
    if (inside) continue;
    const x = out.get(r.terminal) ?? { trips: 0, m: 0 };
    x.trips++;
    x.m += r.src === 'odometer' ? Number(r.odo) : Number(r.gps);
    out.set(r.terminal, x);
  }
  return out;
}

t.test('outside working hours: the join-free query equals the reference', async (t) => {
  const D = mondayBack(h.zone, 10);
  const s = h.zone.bounds(D).start;
  const at = (hhmm: string, days = 0) => s + days * 86_400 + Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3)) * 60;
  const f = new Drive(106_500_000, true, 0.5)
    .run(at('06:00'), at('09:00'), 60, 0, 0).run(at('09:00'), at('09:30'), 30, 1, 40).run(at('09:30'), at('19:00'), 60, 0, 0)
    .resetOdometer(10).run(at('19:00'), at('19:30'), 30, 1, 60).run(at('19:30'), at('22:00'), 60, 0, 0)
    // Saturday: inside "normal" hours, but there are none on Saturdays.
    .run(at('09:00', 5), at('10:00', 5), 60, 0, 0).run(at('10:00', 5), at('10:30', 5), 30, 1, 40).run(at('10:30', 5), at('12:00', 5), 60, 0, 0);
  const g = new Drive(106_600_000)
    .run(at('06:00'), at('07:00'), 60, 0, 0).run(at('07:00'), at('07:30'), 30, 1, 36).run(at('07:30'), at('20:00'), 60, 0, 0)
    .run(at('20:00'), at('20:02'), 30, 1, 5).run(at('20:02'), at('21:00'), 60, 0, 0)
    .run(at('12:50', 1), at('13:10', 1), 30, 1, 30).run(at('13:10', 1), at('14:00', 1), 60, 0, 0);
  const hDrive = new Drive(106_700_000)
    .run(at('09:00'), at('10:00'), 60, 0, 0).run(at('10:00'), at('11:00'), 30, 1, 36).run(at('11:00'), at('20:00'), 60, 0, 0)
    .run(at('20:00'), at('20:10'), 30, 1, 36).run(at('20:10'), at('21:00'), 60, 0, 0);
  const gap = (p: { time: number | null }) => p.time! >= at('10:20') * 1000 && p.time! < at('10:40') * 1000;
  await h.ingest([
    ...f.points.map((p) => report('013800138010', p)),
    ...g.points.map((p) => report('013800138011', p)),
    ...hDrive.points.filter((p) => !gap(p)).map((p) => report('013800138012', p)),
  ]);
  await h.rollupAll();
  const before = await h.db.query<{ terminal: string; trips: number; src: string; rule: string }>(
    `SELECT terminal, trips, toString(distance_source) AS src, toString(distance_rule) AS rule FROM ${h.db.t('vehicle_daily')} FINAL WHERE day = {d:Date} ORDER BY terminal`,
    { d: D },
  );
  t.match(before, [
    { terminal: F, src: 'gps', rule: 'odometer_anomalies_disagree_gps' },
    { terminal: G, src: 'odometer' },
    { terminal: H, trips: 3 },
  ], 'the days are the special cases they are meant to be');
  await h.ingest(backfill('013800138012', hDrive.points.filter(gap), Date.now()));
  await h.rollupAll();
  const [hd] = await h.db.query<{ revision: number; trips: number }>(
    `SELECT revision, trips FROM ${h.db.t('vehicle_daily')} FINAL WHERE terminal = {t:String} AND day = {d:Date}`,
    { t: H, d: D },
  );
  t.match(hd, { revision: 2, trips: 2 }, 'H restated: the two trips cut by the gap are one now');

  const week = addDays(D, 7);
  for (const rules of ['Mon-Fri 08:00-18:00', 'Mon-Fri 08:00-12:00 13:00-18:00; Sat 09:00-12:00', 'Mon-Sun 00:00-24:00', 'none']) {
    const parsed = parseWorkingHours(rules);
    if (!parsed.ok) throw new Error(parsed.problem);
    const got = await outsideHours(h.db, D, week, dayWindows(h.zone, D, week, parsed.value));
    const want = await reference(D, week, rules);
    t.same(
      Object.fromEntries(got.map((r) => [r.terminal, { trips: r.trips, m: r.distanceM }])),
      Object.fromEntries([...want].sort(([a], [b]) => a.localeCompare(b))),
      rules,
    );
  }
  const weekdays = [1, 2, 3, 4, 5].map((day) => ({ day, startMin: 480, endMin: 1080 }));
  const strict = await outsideHours(h.db, D, week, dayWindows(h.zone, D, week, weekdays));
  const byId = Object.fromEntries(strict.map((r) => [r.terminal, r]));
  t.equal(byId[F].trips, 2, 'F: the evening trip and the Saturday one');
  t.equal(byId[G].trips, 2, 'G: 07:00 (before 08:00) and the crawl at 20:00; 12:50-13:10 is inside');
  t.equal(byId[H].trips, 1, "H: only 20:00; the merged 10:00 trip is inside and the stale revision's trips are not counted");

  // The route gives the same figures as the query.
  const r = (await h.app.inject(`/api/v1/reports/fleet?from=${D}&to=${week}`)).json();
  t.same(r.rows.map((x: any) => [x.id, x.tripsOutsideHours, Math.round(x.kmOutsideHours * 1000)]), strict.map((x) => [x.terminal, x.trips, x.distanceM]));
  // A second call is served from the figure cache; new rollup parts invalidate it.
  t.same((await h.app.inject(`/api/v1/reports/fleet?from=${D}&to=${week}`)).json(), r);
});
