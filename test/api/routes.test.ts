/**
 * Every route and every format on data ingested through spool → sink → ClickHouse (see helpers/scenario.ts):
 * JSON checked against the published OpenAPI schemas, CSV parsed, GeoJSON checked, protobuf decoded with the
 * .proto file; trips identical across ranges; late backfill restating a day and reaching cached tracks.
 */
import t, { type Test } from 'tap';
import { addDays } from '../../src/store/timezone.js';
import { checkSchema, responseSchema } from './helpers/openapi.js';
import { csvObjects, decodeProto } from './helpers/formats.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { A, B, C, E, loadScenario, UNKNOWN, type Scenario } from './helpers/scenario.js';

let h: Harness;
let sc: Scenario;
let spec: Record<string, any>;

t.before(async () => {
  h = await startHarness({ database: 'routes' });
  sc = await loadScenario(h);
  spec = (await h.app.inject('/docs/json')).json();
});
t.teardown(() => h?.close());

const iso = (s: number): string => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;

async function get(url: string) {
  const r = await h.app.inject({ method: 'GET', url });
  return r;
}

/** GET a JSON route, assert 200, and check the body against its documented schema. */
async function getJson(t: Test, url: string, specPath: string): Promise<any> {
  const r = await get(url);
  t.equal(r.statusCode, 200, `${url} → 200 (${r.body.slice(0, 200)})`);
  t.match(r.headers['content-type'], /^application\/json/);
  const body = r.json();
  t.same(checkSchema(spec, responseSchema(spec, 'GET', specPath), body), [], `${specPath}: matches its OpenAPI schema`);
  return body;
}

t.test('track: JSON, every device second once, in order', async (t) => {
  const from = iso(sc.at('07:00'));
  const to = iso(sc.at('09:00'));
  // Leading zeros in the id are accepted; the answer names the canonical id.
  const body = await getJson(t, `/api/v1/terminals/013800138000/track?from=${from}&to=${to}`, '/api/v1/terminals/{id}/track');
  t.equal(body.id, A);
  t.equal(body.from, from);
  t.equal(body.to, to);
  // 07:00-08:00 every 60 s, 08:00-08:30 every 30 s (sent twice), 08:30-09:00 every 60 s.
  t.equal(body.count, 60 + 60 + 30);
  t.equal(body.points.length, body.count);
  t.equal(body.truncated, false);
  const times = body.points.map((p: any) => p.time);
  t.same(times, [...times].sort(), 'device-time order');
  t.equal(new Set(times).size, times.length, 'the resent reports appear once');
  const p = body.points.find((x: any) => x.time === iso(sc.at('08:10')));
  t.match(p, { lat: Number, lon: 106.5, speedKmh: 36, direction: 0, altitudeM: 300, acc: true, alarm: 0, backfill: false });
  t.equal(p.status & 1, 1);
  t.ok(p.mileageKm > 10_000 && p.fuelL > 0, 'odometer and fuel when reported');
  // B reports no odometer: the field is absent, not 0.
  const b = await getJson(t, `/api/v1/terminals/${B}/track?from=${iso(sc.at('10:00'))}&to=${iso(sc.at('10:05'))}`, '/api/v1/terminals/{id}/track');
  t.equal(b.count, 10);
  t.notOk('mileageKm' in b.points[0], 'absent values are omitted');
  // Epoch milliseconds and dates are accepted as well.
  const ms = await getJson(t, `/api/v1/terminals/${A}/track?from=${sc.at('07:00') * 1000}&to=${sc.at('09:00') * 1000}`, '/api/v1/terminals/{id}/track');
  t.same(ms.points, body.points);
  const day = await getJson(t, `/api/v1/terminals/${A}/track?from=${sc.D}&to=${addDays(sc.D, 1)}`, '/api/v1/terminals/{id}/track');
  t.equal(day.from, iso(h.zone.bounds(sc.D).start), 'a date is local midnight');
});

t.test('track: GeoJSON, CSV and protobuf carry the same points', async (t) => {
  const q = `from=${iso(sc.at('07:50'))}&to=${iso(sc.at('08:40'))}`;
  const json = (await get(`/api/v1/terminals/${A}/track?${q}`)).json();

  const g = await get(`/api/v1/terminals/${A}/track?${q}&format=geojson`);
  t.equal(g.statusCode, 200);
  t.match(g.headers['content-type'], /^application\/geo\+json/);
  const f = g.json();
  t.equal(f.type, 'Feature');
  t.equal(f.geometry.type, 'LineString');
  t.same(f.geometry.coordinates, json.points.map((p: any) => [p.lon, p.lat, p.altitudeM]), '[lon, lat, altitude] per point');
  t.same(f.properties.coordTimes, json.points.map((p: any) => p.time));
  t.same(f.properties.speedKmh, json.points.map((p: any) => p.speedKmh));
  t.match(f.properties, { id: A, count: json.count, truncated: false });

  const c = await get(`/api/v1/terminals/${A}/track?${q}&format=csv`);
  t.equal(c.statusCode, 200);
  t.match(c.headers['content-type'], /^text\/csv/);
  t.match(c.headers['content-disposition'], /^attachment; filename="track-13800138000-\d+-\d+\.csv"$/);
  const rows = csvObjects(c.body);
  t.equal(rows.length, json.count);
  t.same(Object.keys(rows[0]), ['time', 'lat', 'lon', 'speedKmh', 'direction', 'altitudeM', 'acc', 'alarm', 'status', 'mileageKm', 'fuelL', 'backfill']);
  rows.forEach((r, i) => {
    const p = json.points[i];
    if (r.time !== p.time || +r.lat !== p.lat || +r.lon !== p.lon || +r.speedKmh !== p.speedKmh || r.acc !== String(p.acc) || +r.mileageKm !== p.mileageKm) {
      t.fail(`csv row ${i} differs: ${JSON.stringify(r)} vs ${JSON.stringify(p)}`);
    }
  });

  const pb = await get(`/api/v1/terminals/${A}/track?${q}&format=protobuf`);
  t.equal(pb.statusCode, 200);
  t.equal(pb.headers['content-type'], 'application/x-protobuf');
  const m = decodeProto('Track', pb.rawPayload);
  t.match(m, { terminal: A, count: json.count, truncated: false, fromMs: sc.at('07:50') * 1000, toMs: sc.at('08:40') * 1000 });
  t.same(
    m.points.map((p: any) => ({ time: iso(p.timeMs / 1000), lat: p.latE6 / 1e6, lon: p.lonE6 / 1e6, speedKmh: p.speedDkmh / 10, acc: p.acc, mileageKm: p.odometerHm / 10 })),
    json.points.map((p: any) => ({ time: p.time, lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, acc: p.acc, mileageKm: p.mileageKm })),
  );
});

t.test('track: limit, simplify, empty ranges', async (t) => {
  const q = `from=${sc.D}&to=${addDays(sc.D, 1)}`;
  const full = (await get(`/api/v1/terminals/${A}/track?${q}`)).json();
  const cut = await get(`/api/v1/terminals/${A}/track?${q}&limit=10`);
  t.equal(cut.json().count, 10);
  t.equal(cut.json().truncated, true);
  t.equal(cut.headers['x-fleetgate-truncated'], 'true');
  t.same(cut.json().points, full.points.slice(0, 10), 'the first points');

  // Every trip of A runs due north and parks where it ends: one straight line, so two points.
  const simple = (await get(`/api/v1/terminals/${A}/track?${q}&simplify=20`)).json();
  t.equal(simple.count, 2, `simplified ${full.count} → ${simple.count}`);
  t.same(simple.points[0], full.points[0], 'first point kept');
  t.same(simple.points[simple.count - 1], full.points[full.count - 1], 'last point kept');
  const byTime = new Map(full.points.map((p: any) => [p.time, p]));
  t.ok(simple.points.every((p: any) => JSON.stringify(byTime.get(p.time)) === JSON.stringify(p)), 'a subset of the real points');

  const none = (await get(`/api/v1/terminals/${C}/track?${q}`)).json();
  t.match(none, { id: C, count: 0, points: [] }, 'a known terminal without data: an empty track');
  const g = (await get(`/api/v1/terminals/${C}/track?${q}&format=geojson`)).json();
  t.equal(g.geometry, null, 'no points: null geometry');
  const one = (await get(`/api/v1/terminals/${A}/track?from=${iso(sc.at('06:00'))}&to=${iso(sc.at('06:01'))}&format=geojson`)).json();
  t.equal(one.geometry.type, 'Point', 'one point: a Point');
  t.equal((await get(`/api/v1/terminals/${UNKNOWN}/track?${q}`)).statusCode, 404);
});

t.test('trips: a trip across the range boundary is the same trip whatever the range', async (t) => {
  const path = '/api/v1/terminals/{id}/trips';
  const r1 = await getJson(t, `/api/v1/terminals/${A}/trips?from=${iso(sc.at('12:00'))}&to=${iso(sc.at('00:05', 1))}`, path);
  const r2 = await getJson(t, `/api/v1/terminals/${A}/trips?from=${iso(sc.at('00:10', 1))}&to=${iso(sc.at('12:00', 1))}`, path);
  const r3 = await getJson(t, `/api/v1/terminals/${A}/trips?from=${iso(sc.at('23:55'))}&to=${iso(sc.at('23:56'))}`, path);
  const id = `${A}-${sc.at('23:50')}`;
  const pick = (r: any) => r.trips.find((x: any) => x.id === id);
  t.ok(pick(r1) && pick(r2) && pick(r3), 'the midnight trip is in all three ranges');
  t.same(pick(r1), pick(r2));
  t.same(pick(r1), pick(r3));
  t.match(pick(r1), {
    day: sc.D, revision: 1, start: { time: iso(sc.at('23:50')), lon: 106.5 }, end: { time: iso(sc.at('00:20', 1)) },
    durationS: 1800, distanceKm: 18, odometerKm: 18, maxSpeedKmh: 36, drivingS: 1800, idleS: 0, endReason: 'acc_off', live: false,
  });
  t.equal(r2.count, 1, 'only the trip that overlaps');
  t.same(r1.trips.map((x: any) => x.start.time), [iso(sc.at('19:00')), iso(sc.at('23:50'))]);

  const day = await getJson(t, `/api/v1/terminals/${A}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}`, path);
  t.same(day.trips.map((x: any) => x.start.time), [iso(sc.at('08:00')), iso(sc.at('19:00')), iso(sc.at('23:50'))]);
  t.equal(day.trips[0].distanceKm, 18, 'trip 1: 30 min at 36 km/h');
  t.equal(day.trips[1].distanceKm, 12);

  const csv = await get(`/api/v1/terminals/${A}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}&format=csv`);
  const rows = csvObjects(csv.body);
  t.same(rows.map((r) => r.id), day.trips.map((x: any) => x.id));
  t.same(rows.map((r) => +r.distanceKm), day.trips.map((x: any) => x.distanceKm));
  t.equal(rows[2].endTime, iso(sc.at('00:20', 1)));

  const pb = decodeProto('Trips', (await get(`/api/v1/terminals/${A}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}&format=protobuf`)).rawPayload);
  t.same(pb.trips.map((x: any) => x.id), day.trips.map((x: any) => x.id));
  t.same(pb.trips.map((x: any) => x.distanceM), [18000, 12000, 18000]);
  t.same(pb.trips[2].start, { timeMs: sc.at('23:50') * 1000, latE6: Math.round(day.trips[2].start.lat * 1e6), lonE6: 106_500_000 });

  const b = await getJson(t, `/api/v1/terminals/${B}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}`, path);
  t.ok(Math.abs(b.trips[0].distanceKm - 6) < 0.05, `no odometer: GPS distance (${b.trips[0].distanceKm})`);
  t.equal(b.trips[0].odometerKm, 0);
  t.equal((await get(`/api/v1/terminals/${UNKNOWN}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}`)).statusCode, 404);
});

t.test('ignition events', async (t) => {
  const path = '/api/v1/terminals/{id}/ignition-events';
  const q = `from=${iso(sc.at('06:00'))}&to=${iso(sc.at('20:00'))}`;
  const body = await getJson(t, `/api/v1/terminals/${A}/ignition-events?${q}`, path);
  t.same(body.events.map((e: any) => [e.time, e.type]), [
    [iso(sc.at('08:00')), 'on'], [iso(sc.at('08:30')), 'off'], [iso(sc.at('19:00')), 'on'], [iso(sc.at('19:20')), 'off'],
  ]);
  t.equal(body.events[0].lon, 106.5);
  const rows = csvObjects((await get(`/api/v1/terminals/${A}/ignition-events?${q}&format=csv`)).body);
  t.same(rows.map((r) => [r.time, r.type, +r.lat]), body.events.map((e: any) => [e.time, e.type, e.lat]));
  const pb = decodeProto('IgnitionEvents', (await get(`/api/v1/terminals/${A}/ignition-events?${q}&format=protobuf`)).rawPayload);
  t.same(pb.events.map((e: any) => [iso(e.timeMs / 1000), e.on]), body.events.map((e: any) => [e.time, e.type === 'on']));
  t.equal(pb.terminal, A);
});

t.test('latest positions', async (t) => {
  const path = '/api/v1/positions/latest';
  const all = await getJson(t, path, path);
  t.same(all.positions.map((p: any) => p.id), [A, B, E], 'every terminal with positions, by id');
  const a = all.positions[0];
  t.ok(Date.parse(a.time) > Date.now() - 120_000, "A's latest is from the last minutes");
  t.equal(a.acc, true);
  const b = await getJson(t, `${path}?ids=013800138001,${UNKNOWN}`, path);
  t.same(b.positions.map((p: any) => p.id), [B], 'ids: leading zeros accepted; unknown ids are simply absent');
  t.notOk('mileageKm' in b.positions[0]);
  const box = await getJson(t, `${path}?bbox=106.55,29,106.65,31`, path);
  t.same(box.positions.map((p: any) => p.id), [B]);
  const since = await getJson(t, `${path}?since=${iso(Math.floor(Date.now() / 1000) - 3600)}`, path);
  t.same(since.positions.map((p: any) => p.id), [A]);
  const g = (await get(`${path}?format=geojson`)).json();
  t.equal(g.type, 'FeatureCollection');
  t.same(g.features.map((f: any) => f.geometry.coordinates), all.positions.map((p: any) => [p.lon, p.lat]));
  t.equal(g.features[0].properties.id, A);
  const pb = decodeProto('Positions', (await get(`${path}?format=protobuf`)).rawPayload);
  t.same(pb.positions.map((p: any) => [p.terminal, iso(p.timeMs / 1000), p.latE6 / 1e6]), all.positions.map((p: any) => [p.id, p.time, p.lat]));
});

t.test('terminals: list, filters, paging, one terminal', async (t) => {
  const list = await getJson(t, '/api/v1/terminals', '/api/v1/terminals');
  t.equal(list.total, 3, 'the directory: A, B, C');
  t.same(list.terminals.map((x: any) => x.id), [A, B, C]);
  t.match(list.terminals[0], { plate: '渝A12345', manufacturer: 'FLEET', protocolVersion: '2013', online: false, registeredAt: '2026-01-02T03:04:05Z' });
  t.ok(list.terminals[0].latestPosition && list.terminals[0].lastSeen === list.terminals[0].latestPosition.time, 'offline: last seen = latest position');
  t.match(list.terminals[1], { id: B, online: true, authenticated: true, peer: '10.0.0.2:40000' });
  t.notOk('latestPosition' in list.terminals[2], 'C never reported');
  t.same((await getJson(t, '/api/v1/terminals?online=true', '/api/v1/terminals')).terminals.map((x: any) => x.id), [B]);
  t.same((await getJson(t, '/api/v1/terminals?online=false', '/api/v1/terminals')).terminals.map((x: any) => x.id), [A, C]);
  t.same((await getJson(t, `/api/v1/terminals?plate=${encodeURIComponent('渝c')}`, '/api/v1/terminals')).terminals.map((x: any) => x.id), [C]);
  const page = await getJson(t, '/api/v1/terminals?limit=1&offset=1', '/api/v1/terminals');
  t.match(page, { total: 3, offset: 1, limit: 1 });
  t.same(page.terminals.map((x: any) => x.id), [B]);

  const one = (await get('/api/v1/terminals/013800138000')).json();
  t.same(one, list.terminals[0]);
  const e = (await get(`/api/v1/terminals/${E}`)).json();
  t.match(e, { id: E, registered: false, provisioned: false, online: false, latestPosition: { id: E } }, 'known from its data only');
  t.equal((await get(`/api/v1/terminals/${UNKNOWN}`)).statusCode, 404);
});

t.test('mileage: per local day, closed and live, then restated by late backfill', async (t) => {
  const path = '/api/v1/terminals/{id}/mileage';
  const before = await getJson(t, `/api/v1/terminals/${A}/mileage?from=${addDays(sc.D, -1)}&to=${addDays(sc.D, 2)}`, path);
  t.same(before.days.map((d: any) => d.date), [addDays(sc.D, -1), sc.D, addDays(sc.D, 1)]);
  const [prev, d, next] = before.days;
  t.match(prev, { km: 0, source: 'odometer', revision: 1, live: false }, 'D−1: parked');
  // 18 (trip 1) + 12 (the blind trip, bridged across the reporting gap) + 12 (trip 2) + 6 (trip 3 before midnight).
  t.match(d, { km: 48, odometerKm: 48, source: 'odometer', rule: 'odometer_agrees_gps', revision: 1, live: false });
  t.ok(d.flags.includes('gap_bridged'), `the blind area shows as a bridged gap (${d.flags})`);
  t.match(next, { km: 12, revision: 1 }, 'D+1: the rest of trip 3');
  t.same(before.total, { km: 60, odometerKm: 60, gpsKm: before.total.gpsKm, days: 3, daysWithData: 3 });
  t.ok(Math.abs(before.total.gpsKm - 60) < 0.5, 'GPS distance agrees within 1 %');

  const b = await getJson(t, `/api/v1/terminals/${B}/mileage?from=${sc.D}&to=${addDays(sc.D, 1)}`, path);
  t.match(b.days[0], { source: 'gps', rule: 'no_odometer', odometerKm: 0 });
  t.ok(Math.abs(b.days[0].km - 6) < 0.1);

  // Today is not closed: computed live.
  const today = h.zone.day(Math.floor(Date.now() / 1000));
  const live = await getJson(t, `/api/v1/terminals/${A}/mileage?from=${addDays(today, -1)}&to=${addDays(today, 2)}`, path);
  t.same(live.days.map((x: any) => x.date), [addDays(today, -1), today], 'days after today are left out');
  t.equal(live.days[1].live, true, 'today is computed live');
  t.ok(live.total.km > 10, `the last 20 minutes at 36 km/h (${live.total.km} km)`);
  const total = await getJson(t, `/api/v1/terminals/${A}/mileage?period=${sc.D.slice(0, 7)}&interval=total`, path);
  t.notOk('days' in total, 'interval=total: no days');
  t.equal(total.from, `${sc.D.slice(0, 7)}-01`);

  // The blind-area upload arrives; the rollup restates D.
  const since = new Date(Date.now() - 1000).toISOString();
  const trackUrl = `/api/v1/terminals/${A}/track?from=${iso(sc.at('13:00'))}&to=${iso(sc.at('15:00'))}`;
  const cached = (await get(trackUrl)).json();
  const hits = h.trackCache.hits;
  t.same((await get(trackUrl)).json(), cached);
  t.equal(h.trackCache.hits, hits + 1, 'the repeat came from the track cache');
  await h.ingest(sc.late);
  const fresh = (await get(trackUrl)).json();
  t.equal(fresh.count, cached.count + sc.blindPoints, 'the late points reach the cached track at once');
  t.equal(fresh.points.filter((p: any) => p.backfill).length, sc.blindPoints);
  await h.rollupAll();
  const after = await getJson(t, `/api/v1/terminals/${A}/mileage?from=${sc.D}&to=${addDays(sc.D, 1)}`, path);
  t.match(after.days[0], { km: 48, revision: 2 });
  t.ok(after.days[0].flags.includes('backfill') && after.days[0].flags.includes('restated'), `${after.days[0].flags}`);
  t.notOk(after.days[0].flags.includes('gap_bridged'), 'the gap is filled');

  const rev = await getJson(t, `/api/v1/reports/revisions?since=${since}`, '/api/v1/reports/revisions');
  const r = rev.revisions.find((x: any) => x.terminal === A && x.day === sc.D);
  t.match(r, { reason: 'backfill', lateRows: sc.blindPoints, before: { revision: 1, trips: 3 }, after: { revision: 2, trips: 4, km: 48 } });
  t.match(r.changes, /trips 3→4/);
  const only = await getJson(t, `/api/v1/reports/revisions?since=${since}&terminal=0${B}`, '/api/v1/reports/revisions');
  t.equal(only.count, 0, 'filtered by terminal');
  const page = await getJson(t, `/api/v1/reports/revisions?since=${since}&limit=1`, '/api/v1/reports/revisions');
  t.equal(page.count, 1);
  t.equal(page.truncated, rev.count > 1);

  const trips = await getJson(t, `/api/v1/terminals/${A}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}`, '/api/v1/terminals/{id}/trips');
  t.same(trips.trips.map((x: any) => x.start.time), [iso(sc.at('08:00')), iso(sc.at('14:00')), iso(sc.at('19:00')), iso(sc.at('23:50'))]);
  t.ok(trips.trips.every((x: any) => x.revision === 2), 'trips of the current revision');
  const live2 = await getJson(t, `/api/v1/terminals/${A}/trips?from=${iso(Math.floor(Date.now() / 1000) - 3600)}&to=${iso(Math.floor(Date.now() / 1000) + 60)}`, '/api/v1/terminals/{id}/trips');
  t.equal(live2.count, 1);
  t.match(live2.trips[0], { live: true, endReason: 'open' });
  t.notOk('revision' in live2.trips[0]);
});

t.test('fleet report: one row per terminal, working hours, CSV', async (t) => {
  const path = '/api/v1/reports/fleet';
  const q = `from=${sc.D}&to=${addDays(sc.D, 1)}`;
  const body = await getJson(t, `${path}?${q}`, path);
  t.match(body, { from: sc.D, to: addDays(sc.D, 1), timezone: 'Asia/Shanghai', workingHours: 'Mon-Fri 08:00-18:00', days: 1 });
  t.same(body.rows.map((r: any) => r.id), [A, B, C, E], 'figures and directory together');
  const [a, b, c] = body.rows;
  // Trips 1 (08:00), blind (14:00) inside; 2 (19:00) and 3 (23:50, across midnight) outside, whole: 12 + 18 km.
  t.match(a, { plate: '渝A12345', km: 48, source: 'odometer', odometerSourceKm: 48, gpsSourceKm: 0, trips: 4, daysUsed: 1, daysInRange: 1, daysReported: 1, tripsOutsideHours: 2, kmOutsideHours: 30, maxSpeedKmh: 36 });
  t.ok(Math.abs(a.drivingHours - (30 + 20 + 20 + 10) / 60) < 0.02, `driving hours ${a.drivingHours}`);
  t.match(b, { source: 'gps', trips: 1, tripsOutsideHours: 0, kmOutsideHours: 0 });
  t.match(c, { id: C, km: 0, source: 'none', trips: 0, daysUsed: 0, daysReported: 0, daysInRange: 1 });
  const quarter = await getJson(t, `${path}?period=${sc.D.slice(0, 4)}-Q${Math.floor((+sc.D.slice(5, 7) - 1) / 3) + 1}`, path);
  t.equal(quarter.rows[0].km, a.km + 12 /* D+1 */, 'a quarter in one call');
  t.ok(quarter.days >= 90 && quarter.days <= 92);

  // Working hours are a setting: everything inside a 24/7 window.
  const always = await h.api({ workingHours: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, startMin: 0, endMin: 1440 })) });
  const all = (await always.inject(`${path}?${q}`)).json();
  t.equal(all.rows[0].tripsOutsideHours, 1, 'with 00:00-24:00 only the trip across midnight is outside (it ends on another day)');
  t.equal(all.workingHours, 'Mon-Sun 00:00-24:00');

  const csv = await get(`${path}?${q}&format=csv`);
  t.match(csv.headers['content-type'], /^text\/csv/);
  const rows = csvObjects(csv.body);
  t.same(rows.map((r) => r.id), [A, B, C, E]);
  t.equal(rows[1].plate, "'=B99999", 'a plate that looks like a formula is defused');
  t.same(rows.map((r) => +r.km), body.rows.map((r: any) => r.km));
  t.equal(rows[0].tripsOutsideHours, '2');
});

t.test('operational routes and the OpenAPI document', async (t) => {
  t.same((await get('/health')).json(), { status: 'ok' });
  t.equal((await get('/ready')).statusCode, 200);
  t.equal((await get('/metrics')).statusCode, 200);
  const docs = await get('/docs');
  t.ok(docs.statusCode === 200 || docs.statusCode === 302, 'Swagger UI');
  for (const p of ['/api/v1/terminals', '/api/v1/terminals/{id}', '/api/v1/terminals/provision', '/api/v1/terminals/{id}/track',
    '/api/v1/terminals/{id}/mileage', '/api/v1/terminals/{id}/trips', '/api/v1/terminals/{id}/ignition-events',
    '/api/v1/positions/latest', '/api/v1/reports/fleet', '/api/v1/reports/revisions']) {
    t.ok(spec.paths[p], `documented: ${p}`);
  }
  for (const name of ['Error', 'Position', 'TrackPoint', 'Trip', 'IgnitionEvent', 'Terminal', 'Place']) t.ok(spec.components.schemas[name], `component ${name}`);
  t.notOk(spec.paths['/health'], 'operational routes are not part of the API document');
  const track = spec.paths['/api/v1/terminals/{id}/track'].get;
  t.same(Object.keys(track.responses).sort(), ['200', '400', '401', '403', '404', '429', '500', '503']);
  t.same(track.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name).sort(), ['format', 'from', 'limit', 'simplify', 'to']);
});
