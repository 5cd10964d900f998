/**
 * Answers escaped straight into the shared slabs must be byte for byte what the generic encoder makes,
 * escapes included; runs and the AckGate write consecutive answers of one session together.
 */
import t from 'tap';
import { decodeHeader, encodePacket, replyHeader, unescapeFrame, type Header, type HeaderLayout } from '../../protocols/jt808/index.js';
import { encode8001, encode8003 } from '../../protocols/jt808/messages/general.js';
import { AckGate } from '../../src/gateway/ack-gate.js';
import { AnswerOut } from '../../src/gateway/reply-writer.js';

function request(layout: HeaderLayout, phoneBcd: string, msgId: number, serial: number, versionFlag: boolean, protocolVersion = 1): Header {
  const u = unescapeFrame(encodePacket({ msgId, layout, phoneBcd, serial, versionFlag, protocolVersion }, Buffer.alloc(0)));
  const h = u.ok ? decodeHeader(u.frame) : undefined;
  if (!h?.ok) throw new Error('bad request frame');
  return h.value;
}

t.test('0x8001 matches encodePacket, escapes and 2019 included', async (t) => {
  const out = new AnswerOut();
  const cases: Array<[HeaderLayout, string, number, number, boolean, number, number]> = [
    ['2013', '013912345678', 0x0200, 7, false, 0, 1],
    ['2013', '7e7d00000000', 0x7e7d, 0x7d7e, false, 2, 0x7e7d], // escapes everywhere
    ['2019', '00000000013912345678', 0x0102, 0xffff, true, 1, 0xfffe],
    ['2019', '7d7e7d7e7d7e7d7e7d7e', 0x0002, 0x7e00, true, 4, 0x7d],
    ['2013', '013800138000', 0x0002, 1, true, 0, 2], // a 2013 frame that set bit 14 (SPEC §4.3): mirrored
  ];
  // Every checksum value, 0x7d and 0x7e included, through the platform serial's low byte.
  for (let i = 0; i < 256; i++) cases.push(['2013', '013912345678', 0x0200, 5, false, 0, 0x1200 + i]);
  for (const [layout, phone, msgId, serial, flag, result, platformSerial] of cases) {
    const req = request(layout, phone, msgId, serial, flag, layout === '2019' ? 0x7e : 1);
    const expected = encodePacket(replyHeader(req, 0x8001, platformSerial), encode8001({ replySerial: serial, replyMsgId: msgId, result }));
    const start = out.general(req, platformSerial, result);
    t.same(out.buf.subarray(start, out.at).toString('hex'), expected.toString('hex'), `${layout} ${phone} ${msgId.toString(16)}`);
  }
});

t.test('other answers, and a full slab rolls over to a fresh one', async (t) => {
  const out = new AnswerOut();
  const req = request('2013', '013912345678', 0x0801, 3, false);
  const spec = replyHeader(req, 0x8003, 9);
  const body = encode8003({ firstSerial: 0x7e7e, indexes: [1, 2, 0x7d] }, '2013');
  const first = out.buf;
  let start = 0;
  for (let i = 0; i < 1000; i++) start = out.frame(spec, body);
  t.not(out.buf, first, 'rolled over');
  t.same(out.buf.subarray(start, out.at), encodePacket(spec, body));
});

t.test('runs: one write per session and stretch; the gate coalesces adjacent held answers', async (t) => {
  const out = new AnswerOut();
  const writes: string[] = [];
  const sink = (name: string) => ({
    sendAnswers: (_b: Buffer, s: number, e: number) => void writes.push(`${name}:${e - s}`),
    releaseHeld: (_b: Buffer, s: number, e: number, n: number) => void writes.push(`${name}:${e - s}/${n}`),
  });
  const a = sink('a');
  const b = sink('b');
  const req = request('2013', '013912345678', 0x0200, 1, false);
  for (let i = 0; i < 3; i++) {
    const s = out.general(req, i, 0);
    out.append(a, out.buf, s, out.at);
  }
  out.flush(b);
  t.same(writes, [], 'another sink does not flush a run');
  const s = out.general(req, 3, 0);
  out.append(b, out.buf, s, out.at); // a's run is written first
  out.flush();
  t.same(writes, ['a:60', 'b:20']);
  writes.length = 0;
  const gate = new AckGate();
  for (const [who, pos] of [[a, 10], [a, 20], [b, 20], [a, 30]] as const) {
    const st = out.general(req, 0, 0);
    gate.hold(pos, who, out.buf, st, out.at);
  }
  gate.release(20);
  t.same(writes, ['a:40/2', 'b:20/1']);
  t.equal(gate.waiting, 1);
  gate.release(30);
  t.same(writes, ['a:40/2', 'b:20/1', 'a:20/1']);
  t.equal(gate.waiting, 0);
  // Emptied, the gate reuses its slots: fewer answers than before, nothing stale from the last round.
  writes.length = 0;
  for (const [who, pos] of [[b, 40], [a, 50]] as const) {
    const st = out.general(req, 0, 0);
    gate.hold(pos, who, out.buf, st, out.at);
  }
  gate.release(45);
  t.same(writes, ['b:20/1']);
  t.equal(gate.waiting, 1);
  gate.release(50);
  t.same(writes, ['b:20/1', 'a:20/1']);
  t.equal(gate.waiting, 0);
  gate.release(100);
  t.same(writes, ['b:20/1', 'a:20/1'], 'an empty gate writes nothing');
});
