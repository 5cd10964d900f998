/**
 * Terminal-side security over real sockets (SECURITY.md): who may register (open / allowlist), what an
 * unauthenticated connection may do (require-auth on / off), that a session authenticated as one terminal
 * cannot speak for another, and that guessing codes costs the connection.
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Gateway } from '../../src/gateway/server.js';
import { FileRegistryStore } from '../../src/gateway/registry-store.js';
import { TerminalRegistry, type RegistrationPolicy } from '../../src/gateway/terminal-registry.js';
import { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from '../../src/gateway/types.js';
import { createMetrics, gatewayMetrics, type Metrics } from '../../src/metrics.js';
import { readRecord, FLAG_AUTHENTICATED } from '../../src/decode/record.js';
import { encode0100, encode0102 } from '../../protocols/jt808/messages/register.js';
import { encode0200 } from '../../protocols/jt808/messages/location.js';
import { splitBody } from '../../protocols/jt808/subpackage.js';
import { MemorySpool } from '../helpers/memory-spool.js';
import { TestTerminal } from '../helpers/terminal.js';

const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);
const REG = { province: 50, city: 100, makerId: 'FLEET', model: 'SIM-1', terminalId: 'T0001', plateColor: 1, plate: '渝A12345' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function report(i: number): Buffer {
  return encode0200({ status: 0x03, lat: 29.56 + i * 1e-4, lon: 106.55, speedKmh: 40, direction: 90, time: T0 + i * 1000 });
}

interface Rig {
  gateway: Gateway;
  spool: MemorySpool;
  registry: TerminalRegistry;
  metrics: Metrics;
  port: number;
  close(): Promise<void>;
}

async function boot(settings: Partial<GatewaySettings> = {}, policy: RegistrationPolicy = 'open'): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-sec-'));
  const spool = new MemorySpool(1);
  const registry = await TerminalRegistry.open(new FileRegistryStore(join(dir, 'terminals.jsonl')), policy);
  const metrics = createMetrics({ defaultMetrics: false });
  const gateway = new Gateway({
    settings: { ...DEFAULT_GATEWAY_SETTINGS, ...settings },
    spool,
    registry,
    log: pino({ level: 'silent' }),
    metrics: gatewayMetrics(metrics),
    maxConnections: 100,
    connectionsPerIpPerSecond: 0,
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  return {
    gateway, spool, registry, metrics, port,
    async close() {
      await gateway.close();
      spool.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function register(rig: Rig, phone: string): Promise<{ term: TestTerminal; code: string }> {
  const term = await TestTerminal.open(rig.port, phone);
  const reg = await term.request(0x0100, encode0100(REG, '2013'));
  if (reg.result !== 0) throw new Error(`registration result ${reg.result}`);
  return { term, code: reg.packet.body.subarray(3).toString('latin1') };
}

async function registerAndAuth(rig: Rig, phone: string): Promise<{ term: TestTerminal; code: string }> {
  const r = await register(rig, phone);
  const auth = await r.term.request(0x0102, encode0102({ authCode: r.code }, '2013'));
  if (auth.result !== 0) throw new Error(`auth result ${auth.result}`);
  return r;
}

/** Spooled records whose header names `phone` (the record keeps the header's phone BCD). */
function spooledFor(rig: Rig, phone: string, msgId?: number) {
  return rig.spool.records
    .map((r) => readRecord(r.data)!)
    .filter((r) => r.phoneBcd.replace(/^0+/, '') === phone.replace(/^0+/, '') && (msgId === undefined || r.msgId === msgId));
}

t.test('registration policy: open', async (t) => {
  const rig = await boot();
  t.teardown(() => rig.close());
  const { term, code } = await register(rig, '13900000101');
  t.teardown(() => term.end());
  t.equal(code.length, 22, 'a stranger gets a 22-character code');
  t.ok(rig.registry.get('13900000101'), 'and a registry record');
});

t.test('registration policy: allowlist', async (t) => {
  const rig = await boot({}, 'allowlist');
  t.teardown(() => rig.close());
  await rig.registry.provision(['13900000102'], Date.now());
  const stranger = await TestTerminal.open(rig.port, '13900000103');
  t.teardown(() => stranger.end());
  const refused = await stranger.request(0x0100, encode0100(REG, '2013'));
  t.equal(refused.result, 4, 'unlisted terminal: "terminal not in database"');
  t.equal(refused.packet.body.length, 3, 'and no auth code in the answer');
  t.equal(rig.registry.get('13900000103'), undefined, 'no record created');
  // Whatever the stranger presents as a code is refused, including the empty code of a provisioned-only record.
  t.equal((await stranger.request(0x0102, encode0102({ authCode: '' }, '2013'))).result, 1, 'empty code refused');
  const other = await TestTerminal.open(rig.port, '13900000102');
  t.teardown(() => other.end());
  t.equal((await other.request(0x0102, encode0102({ authCode: '' }, '2013'))).result, 1, 'provisioned but never registered: empty code refused');
  t.equal((await other.request(0x0200, report(1))).result, 1, 'and it cannot report');
  const { term } = await registerAndAuth(rig, '13900000102');
  t.teardown(() => term.end());
  t.equal((await term.request(0x0200, report(1))).result, 0, 'listed terminal registers, authenticates and reports');
});

t.test('require-auth on: nothing but set-up and link messages before authentication', async (t) => {
  const rig = await boot({ authTimeoutMs: 400 });
  t.teardown(() => rig.close());
  const { term, code } = await register(rig, '13900000104');
  t.teardown(() => term.end());
  t.equal((await term.request(0x0200, report(1))).result, 1, 'position refused before auth');
  t.equal((await term.request(0x0704, Buffer.from([0, 1, 1]))).result, 1, 'batch refused before auth');
  const parts = splitBody(Buffer.alloc(300, 1), 100);
  const serial = term.nextSerial();
  term.write(term.frame(0x0704, parts[0], serial, { packetTotal: parts.length, packetIndex: 1 }));
  t.equal((await term.waitFor((a) => a.replySerial === serial)).result, 1, 'fragment refused before auth');
  t.equal((await term.request(0x0002, Buffer.alloc(0))).result, 0, 'heartbeat answered');
  t.equal(spooledFor(rig, '13900000104').filter((r) => r.msgId !== 0x0100).length, 0, 'nothing but the registration spooled');
  t.equal(rig.gateway.sessions.size, 0, 'no session bound before auth');
  t.equal((await term.request(0x0102, encode0102({ authCode: code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A') }, '2013'))).result, 1, 'one character off: refused');
  t.equal((await term.request(0x0102, encode0102({ authCode: code }, '2013'))).result, 0, 'right code accepted');
  t.equal((await term.request(0x0200, report(2))).result, 0, 'position served after auth');
  const recs = spooledFor(rig, '13900000104', 0x0200);
  t.equal(recs.length, 1, 'one position spooled');
  t.ok((recs[0].flags & FLAG_AUTHENTICATED) !== 0, 'flagged authenticated');
  await sleep(600);
  t.notOk(term.closed, 'an authenticated connection outlives the auth timeout');

  const lingering = await TestTerminal.open(rig.port, '13900000105');
  t.teardown(() => lingering.end());
  await lingering.request(0x0002, Buffer.alloc(0));
  t.ok(await lingering.closedWithin(2000), 'heartbeats do not keep an unauthenticated connection past the auth timeout');
  t.equal(rig.metrics.connectionsClosed.child('not').value, 1, 'closed as "not authenticated in time"');
});

t.test('require-auth off: served, flagged unauthenticated, no auth timer', async (t) => {
  const rig = await boot({ requireAuth: false, authTimeoutMs: 200 });
  t.teardown(() => rig.close());
  const term = await TestTerminal.open(rig.port, '13900000106');
  t.teardown(() => term.end());
  t.equal((await term.request(0x0200, report(1))).result, 0, 'position served without auth');
  const recs = spooledFor(rig, '13900000106', 0x0200);
  t.equal(recs.length, 1);
  t.equal(recs[0].flags & FLAG_AUTHENTICATED, 0, 'flagged unauthenticated for the store');
  await sleep(400);
  t.notOk(term.closed, 'no auth timeout when auth is not required');
  t.equal((await term.request(0x0102, encode0102({ authCode: 'guess' }, '2013'))).result, 1, 'a wrong code is still refused');
});

t.test('a session authenticated as A cannot speak for B', async (t) => {
  const rig = await boot();
  t.teardown(() => rig.close());
  const b = await registerAndAuth(rig, '13900000108');
  t.teardown(() => b.term.end());
  const a = await registerAndAuth(rig, '13900000107');
  t.teardown(() => a.term.end());
  // A crafts frames with B's id in the header, on A's authenticated connection.
  const asB = (msgId: number, body: Buffer, extra: { packetTotal?: number; packetIndex?: number } = {}) => {
    const serial = a.term.nextSerial();
    a.term.write(Buffer.from(a.term.frame(msgId, body, serial, extra)));
    return serial;
  };
  const forged = (msgId: number, body: Buffer) => {
    // TestTerminal frames carry its own phone: build B's header by hand.
    const frame = Buffer.from(b.term.frame(msgId, body, 7000 + msgId));
    a.term.write(frame);
    return a.term.waitFor((x) => x.replySerial === 7000 + msgId && x.replyMsgId === msgId);
  };
  t.equal((await forged(0x0200, report(1))).result, 1, 'position with B\'s id refused');
  t.equal((await forged(0x0704, Buffer.from([0, 1, 1]))).result, 1, 'batch with B\'s id refused');
  t.equal((await forged(0x0102, encode0102({ authCode: b.code }, '2013'))).result, 1, 'B\'s valid code on A\'s session refused');
  t.equal((await forged(0x0100, encode0100(REG, '2013'))).result, 1, 'registering as B on A\'s session refused');
  t.equal((await forged(0x0002, Buffer.alloc(0))).result, 1, 'heartbeat as B refused');
  const frag = Buffer.from(b.term.frame(0x0704, Buffer.alloc(50, 2), 7100, { packetTotal: 2, packetIndex: 1 }));
  a.term.write(frag);
  t.equal((await a.term.waitFor((x) => x.replySerial === 7100)).result, 1, 'fragment as B refused');
  t.equal(spooledFor(rig, '13900000108').filter((r) => r.msgId !== 0x0100 && r.msgId !== 0x0102).length, 0, 'nothing stored under B');
  t.equal(rig.metrics.badFrames.child('TERMINAL_MISMATCH').value, 6, 'each forgery counted');
  t.equal(rig.gateway.sessions.get('13900000108')?.isClosed, false, 'B keeps its own session');
  t.equal(rig.gateway.sessions.get('13900000107')?.terminalId, '13900000107', 'A is still A');
  t.equal((await b.term.request(0x0200, report(2))).result, 0, 'B still reports');
  const own = asB(0x0200, report(3));
  t.equal((await a.term.waitFor((x) => x.replySerial === own && x.replyMsgId === 0x0200)).result, 0, 'A still reports as A');
});

t.test('an unauthenticated connection cannot take over an authenticated session', async (t) => {
  const rig = await boot();
  t.teardown(() => rig.close());
  const victim = await registerAndAuth(rig, '13900000109');
  t.teardown(() => victim.term.end());
  const intruder = await TestTerminal.open(rig.port, '13900000109');
  t.teardown(() => intruder.end());
  t.equal((await intruder.request(0x0200, report(1))).result, 1, 'position refused');
  t.equal((await intruder.request(0x0002, Buffer.alloc(0))).result, 0, 'heartbeat answered…');
  t.equal((await intruder.request(0x0102, encode0102({ authCode: 'not-the-code' }, '2013'))).result, 1, 'wrong code refused');
  await sleep(50);
  t.notOk(victim.term.closed, '…but the victim\'s connection stays');
  t.equal((await victim.term.request(0x0200, report(2))).result, 0, 'and serves');
});

t.test('wrong auth codes: the fifth closes the connection; fewer do not', async (t) => {
  const rig = await boot();
  t.teardown(() => rig.close());
  const { term: first, code } = await register(rig, '13900000110');
  first.end();
  const patient = await TestTerminal.open(rig.port, '13900000110');
  t.teardown(() => patient.end());
  for (let i = 0; i < 4; i++) t.equal((await patient.request(0x0102, encode0102({ authCode: `guess${i}` }, '2013'))).result, 1, `guess ${i + 1} refused`);
  t.equal((await patient.request(0x0102, encode0102({ authCode: code }, '2013'))).result, 0, 'four misses, then the right code: accepted');

  const guesser = await TestTerminal.open(rig.port, '13900000111');
  t.teardown(() => guesser.end());
  for (let i = 0; i < 4; i++) t.equal((await guesser.request(0x0102, encode0102({ authCode: `x${i}` }, '2013'))).result, 1);
  guesser.write(guesser.frame(0x0102, encode0102({ authCode: 'x4' }, '2013')));
  t.ok(await guesser.closedWithin(2000), 'fifth wrong code: connection closed');
  t.equal(rig.metrics.badFrames.child('AUTH_FAILED').value, 9, 'every miss counted');
  t.equal(rig.metrics.connectionsClosed.child('auth_failures').value, 1, 'closed for auth failures, counted');
});
