/**
 * The whole process as `npm start` runs it (src/start.ts): terminals register, authenticate and report over
 * real TCP to the gateway, frames go through the real spool, decode and sink into embedded ClickHouse, the
 * rollup runs, and the API is asked over a real HTTP socket (127.0.0.1, ephemeral port, fetch) with keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { start, type Running } from '../../src/start.js';
import { addDays, Zone } from '../../src/store/timezone.js';
import { encode0100, encode0102 } from '../../protocols/jt808/messages/register.js';
import { encode0200, encode0704, type LocationInput } from '../../protocols/jt808/messages/location.js';
import type { HeaderLayout } from '../../protocols/jt808/index.js';
import { TestTerminal } from '../helpers/terminal.js';
import { csvObjects, decodeProto } from './helpers/formats.js';
import { Drive } from './helpers/drive.js';
import { mondayBack } from './helpers/scenario.js';

const READ = 'read-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
const zone = new Zone('Asia/Shanghai');
const D = mondayBack(zone, 9);
const s0 = zone.bounds(D).start;
const at = (hhmm: string): number => s0 + Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3)) * 60;
const iso = (s: number): string => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-api-e2e-'));
let running: Running;
let base: string;
const terminals: TestTerminal[] = [];

t.before(async () => {
  const cfg: Config = {
    ...loadConfig([], {
      FLEETGATE_DATA_DIR: dir, FLEETGATE_HOST: '127.0.0.1', FLEETGATE_DECODE_THREADS: '0', FLEETGATE_BATCH_MS: '20',
      FLEETGATE_CONN_RATE_PER_IP: '0', FLEETGATE_API_KEYS: `${READ}:read,${ADMIN}:admin`, FLEETGATE_SPOOL_FSYNC_MS: '1',
    }),
    jt808Port: 0,
    httpPort: 0,
  };
  running = await start(cfg, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  base = `http://127.0.0.1:${running.ports.http}`;
});
t.teardown(async () => {
  for (const term of terminals) term.end();
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(phone: string, layout: HeaderLayout, plate: string): Promise<TestTerminal> {
  const term = await TestTerminal.open(running.ports.jt808, phone, layout);
  terminals.push(term);
  const reg = await term.request(0x0100, encode0100({ province: 50, city: 100, makerId: 'FLEET', model: 'SIM-1', terminalId: 'T0001', plateColor: 1, plate }, layout === '2019' ? '2019' : '2013'));
  if (reg.result !== 0) throw new Error(`registration result ${reg.result}`);
  const authCode = reg.packet.body.subarray(3).toString('latin1');
  const auth = await term.request(0x0102, encode0102({ authCode, imei: '860000000000001', softwareVersion: '1.0' }, layout));
  if (auth.result !== 0) throw new Error(`auth result ${auth.result}`);
  return term;
}

/** Sends reports as 0x0704 batches (type 0: normal, not blind-area) of 20 (a body is at most 1023 bytes), each answered. */
async function sendBatches(term: TestTerminal, points: readonly LocationInput[]): Promise<void> {
  for (let i = 0; i < points.length; i += 20) {
    const a = await term.request(0x0704, encode0704({ type: 0, items: points.slice(i, i + 20) }));
    if (a.result !== 0) throw new Error(`0x0704 answered ${a.result}`);
  }
}

const api = async (url: string, key: string | null = READ): Promise<Response> =>
  fetch(`${base}${url}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
const json = async (url: string, key: string | null = READ): Promise<any> => (await api(url, key)).json();

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('terminals report over TCP; the API answers over HTTP', async (t) => {
  const a = await connect('013800138000', '2013', '渝A12345');
  const b = await connect('13800138001', '2019', '渝B54321');
  // A: parked, a 30-minute trip at 36 km/h from 08:00, parked; one report sent twice (0x0200 resend).
  const day = new Drive().run(at('07:00'), at('08:00'), 60, 0, 0).run(at('08:00'), at('08:30'), 30, 1, 36).run(at('08:30'), at('10:00'), 60, 0, 0);
  await sendBatches(a, day.points);
  const dup = day.points.find((p) => p.time === at('08:10') * 1000)!;
  t.equal((await a.request(0x0200, encode0200(dup))).result, 0, 'a resend is answered');
  // B: a few live reports now.
  const now = Math.floor(Date.now() / 1000);
  const live = new Drive(106_600_000).run(now - 120, now, 30, 1, 20).points;
  for (const p of live) t.equal((await b.request(0x0200, encode0200(p))).result, 0);

  const total = day.points.length;
  const track: any = await until('the day in ClickHouse', async () => {
    const r = await api(`/api/v1/terminals/13800138000/track?from=${D}&to=${addDays(D, 1)}`);
    const body: any = await r.json();
    return body.count === total ? body : undefined;
  });
  t.equal(track.id, '13800138000');
  t.equal(new Set(track.points.map((p: any) => p.time)).size, total, 'each device second once');
  t.equal(track.points.find((p: any) => p.time === iso(at('08:10'))).speedKmh, 36);

  const pb = await api(`/api/v1/terminals/013800138000/track?from=${D}&to=${addDays(D, 1)}&format=protobuf`);
  t.equal(pb.headers.get('content-type'), 'application/x-protobuf');
  const m = decodeProto('Track', Buffer.from(await pb.arrayBuffer()));
  t.equal(m.count, total);
  t.same(m.points.map((p: any) => p.timeMs / 1000), track.points.map((p: any) => Date.parse(p.time) / 1000));

  const list = await json('/api/v1/terminals');
  t.same(list.terminals.map((x: any) => x.id), ['13800138000', '13800138001']);
  t.match(list.terminals[0], { plate: '渝A12345', manufacturer: 'FLEET', model: 'SIM-1', registered: true, online: true, authenticated: true, protocolVersion: '2013' });
  t.match(list.terminals[0].peer, /^127\.0\.0\.1:\d+$/);
  t.match(list.terminals[1], { plate: '渝B54321', online: true, protocolVersion: '2019' });
  t.ok(Date.parse(list.terminals[1].lastSeen) > Date.now() - 60_000);

  const latest = await json('/api/v1/positions/latest?ids=13800138001');
  t.equal(latest.positions[0].time, iso(live[live.length - 1].time! / 1000), 'the newest report, from memory');

  await running.rollupNow();
  const trips = await json(`/api/v1/terminals/13800138000/trips?from=${iso(at('08:15'))}&to=${iso(at('08:20'))}`);
  t.equal(trips.count, 1);
  t.match(trips.trips[0], { id: `13800138000-${at('08:00')}`, distanceKm: 18, durationS: 1800, endReason: 'acc_off', live: false });
  const mileage = await json(`/api/v1/terminals/13800138000/mileage?from=${D}&to=${addDays(D, 1)}`);
  t.match(mileage.days[0], { date: D, km: 18, source: 'odometer', revision: 1 });
  const events = await json(`/api/v1/terminals/13800138000/ignition-events?from=${D}&to=${addDays(D, 1)}`);
  t.same(events.events.map((e: any) => e.type), ['on', 'off']);
  const csv = await api(`/api/v1/reports/fleet?from=${D}&to=${addDays(D, 1)}&format=csv`);
  const rows = csvObjects(await csv.text());
  t.same(rows.map((r) => [r.id, r.plate, r.km, r.trips]), [['13800138000', '渝A12345', '18', '1'], ['13800138001', '渝B54321', '0', '0']]);

  // The gateway's view: a terminal that hangs up is offline.
  a.end();
  const offline: any = await until('A offline', async () => {
    const x = await json('/api/v1/terminals/13800138000');
    return x.online === false ? x : undefined;
  });
  t.equal(offline.lastSeen, offline.latestPosition.time, 'offline: last seen is the latest position');
});

t.test('keys over the socket; provisioning reaches the registry', async (t) => {
  const none = await api('/api/v1/terminals', null);
  t.equal(none.status, 401);
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="fleetgate"');
  t.equal(((await none.json()) as any).code, 'FG_ERR_UNAUTHORIZED');
  const post = (key: string) =>
    fetch(`${base}/api/v1/terminals/provision`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ids: ['013800138009'] }) });
  const denied = await post(READ);
  t.equal(denied.status, 403);
  t.equal(((await denied.json()) as any).code, 'FG_ERR_FORBIDDEN');
  t.same(await (await post(ADMIN)).json(), { provisioned: 1, ids: ['13800138009'] });
  t.match(await json('/api/v1/terminals/13800138009'), { id: '13800138009', provisioned: true, registered: false, online: false });
});

t.test('operational routes over the socket', async (t) => {
  t.same(await json('/health', null), { status: 'ok' });
  const ready = await api('/ready', null);
  t.equal(ready.status, 200);
  t.same(((await ready.json()) as any).checks, { storage: true, spool: true });
  const metrics = await (await api('/metrics', null)).text();
  t.match(metrics, /fleetgate_api_request_duration_seconds_count\{route="GET \/api\/v1\/terminals\/:id\/track",status="200"\} \d+/);
  t.match(metrics, /fleetgate_api_request_duration_seconds_count\{route="GET \/api\/v1\/terminals",status="401"\} 1/);
  t.match(metrics, /fleetgate_frames_total\{msg_id="0x0704"\} \d+/, 'the gateway counters too');
  const spec = await json('/docs/json', null);
  t.equal(spec.openapi, '3.0.3');
  const ui = await fetch(`${base}/docs/`, { redirect: 'manual' });
  t.equal(ui.status, 200);
  t.match(await ui.text(), /swagger/i);
});
