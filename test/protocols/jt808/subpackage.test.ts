// Subpackaging (SPEC §8): splitting, subpackaged frames, and the Reassembler state machine (any order,
// duplicates, non-consecutive serials, missing fragments and 0x8003 lists, bounded memory).
import t from 'tap';
import { describeError } from '../../../protocols/jt808/errors.js';
import { unescapeFrame } from '../../../protocols/jt808/framing.js';
import type { Header, HeaderSpec } from '../../../protocols/jt808/header.js';
import { decodePacket, type Packet } from '../../../protocols/jt808/packet.js';
import { DEFAULT_BODY_OPTIONS } from '../../../protocols/jt808/messages/options.js';
import { decode0104 } from '../../../protocols/jt808/messages/params.js';
import { decode0801 } from '../../../protocols/jt808/messages/multimedia.js';
import { encodeSubpackaged, Reassembler, splitBody, type ReassemblyResult } from '../../../protocols/jt808/subpackage.js';
import { hexToBuffer } from '../../helpers/vectors.js';

function packet(wire: Buffer | string): Packet {
  const u = unescapeFrame(typeof wire === 'string' ? hexToBuffer(wire) : wire);
  if (!u.ok) throw new Error('bad test frame');
  const p = decodePacket(u.frame);
  if (!p.ok) throw new Error(describeError(p));
  return p.value;
}

/** A fragment header as decodeHeader would give it. */
function frag(index: number, total: number, serial: number, over: Partial<Header> = {}): Header {
  return {
    msgId: 0x0801,
    bodyProperties: 0x2000,
    bodyLength: 0,
    encryption: 0,
    subpackage: true,
    versionFlag: false,
    layout: '2013',
    protocolVersion: null,
    phoneBcd: '013900000001',
    terminalId: '13900000001',
    serial,
    packetTotal: total,
    packetIndex: index,
    headerLength: 16,
    ...over,
  };
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function completeBody(r: ReassemblyResult): Buffer {
  if (r.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(r)}`);
  return r.body;
}

const spec: HeaderSpec = { msgId: 0x0801, layout: '2013', phoneBcd: '013900000001', serial: 0xfffe };

t.test('splitBody', async (t) => {
  const body = bytes(2500, 1);
  const parts = splitBody(body);
  t.same(parts.map((p) => p.length), [1000, 1000, 500], 'default 1000-byte fragments');
  t.equal(Buffer.concat(parts).compare(body), 0);
  t.same(splitBody(body, 1023).map((p) => p.length), [1023, 1023, 454]);
  t.equal(splitBody(Buffer.alloc(0)).length, 1, 'empty body: one empty fragment');
  t.equal(splitBody(bytes(1000, 0)).length, 1);
  t.throws(() => splitBody(body, 1024), RangeError, 'the length field holds 1023');
  t.throws(() => splitBody(body, 0), RangeError);
});

t.test('encodeSubpackaged: own serial per frame, 1-based index, serial wraps', async (t) => {
  const body = bytes(2100, 7);
  const frames = encodeSubpackaged(spec, body);
  t.equal(frames.length, 3);
  const packets = frames.map((f) => packet(f));
  t.same(
    packets.map((p) => [p.header.serial, p.header.packetTotal, p.header.packetIndex, p.header.subpackage, p.body.length, p.checksumOk]),
    [
      [0xfffe, 3, 1, true, 1000, true],
      [0xffff, 3, 2, true, 1000, true],
      [0x0000, 3, 3, true, 100, true],
    ],
  );
  t.equal(Buffer.concat(packets.map((p) => p.body)).compare(body), 0, 'bodies concatenate to the original');
  const single = encodeSubpackaged({ ...spec, packetTotal: 9, packetIndex: 9 }, bytes(10, 0));
  t.equal(single.length, 1);
  t.match(packet(single[0]).header, { subpackage: false, serial: 0xfffe, packetTotal: 0 }, 'a body that fits is sent as one ordinary frame');
  const big = encodeSubpackaged({ ...spec, layout: '2019' }, bytes(1500, 3), 500);
  t.same(big.map((f) => packet(f).header.layout), ['2019', '2019', '2019']);
});

t.test('reassembly in order, reversed, and shuffled', async (t) => {
  const body = bytes(3300, 9);
  const parts = splitBody(body);
  for (const [name, order] of [
    ['in order', [0, 1, 2, 3]],
    ['reversed', [3, 2, 1, 0]],
    ['shuffled', [2, 0, 3, 1]],
  ] as const) {
    const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 4 });
    let last: ReassemblyResult = { status: 'partial' };
    for (const i of order) last = r.add(frag(i + 1, 4, 100 + i), parts[i], 0);
    t.equal(completeBody(last).compare(body), 0, `${name}: body restored`);
    t.match(last, { status: 'complete', firstSerial: 100, msgId: 0x0801, terminalId: '13900000001', total: 4 }, name);
    t.equal(r.pendingSets, 0);
    t.equal(r.pendingBytes, 0);
  }
});

t.test('SmallChi MergerTest: real 0x0104 in 2 fragments, serials 1233 and 1250, both orders', async (t) => {
  const p1 = packet(
    '7E010423F001127540038104D10002000100006B00000001040000025800000002040000000A00000003040000000500000004040000000A0000000504000000050000000604000000000000000704000000000000001005434D4E455400000011000000001200000000130D3232322E3138342E32362E323200000014000000001500000000160000000017000000001804000007E50000001904000007E50000002304000000000000002404000000000000002504000000000000002604000000000000003204000005000000001A000000001B04000000000000001C04000000000000001D0000000020040000000000000021040000000000000022040000012C000000270400001C2000000028040000001E00000029040000001E0000002C04000001F40000002D04000001F40000002E04000001F40000002F04000000C800000030040000001E000000310201F4000000400000000041000000004200000000430000000044000000004504000000010000004604FFFFFFFF0000004704FFFFFFFF0000004800000000490000000050040363160800000051040000000000000052040000000100000053040000000000000054040000000000000055040000000000000056040000001E0000005704000038400000005804000070800000005904000004B00000005A0400000E100000005B0200000000005C0207080000005D0224000000005E02001E00000064040000010100000065040000000000000070040000000500000071040000007F00000072040000004000000073040000004000000074040000007F00000080040004B9930000008102000000000082020000000000830CB2E2CAD4CAD3C6B5B3B5C1BE00000084010000000090010300000091010100000092010000000093040000000100000094010000000095040000000000000100040000000000000101020000000001020400000000000001030200000000C11204000000050000C11304000000050000C11404000000030000C11504000000000000C1160200000000C1170200000000C118033200030000C119030000000000CB00040000000200000075150103001E0F00000100000300191900000400002B00000000761B05000101010000020200000303000004040000050500000606020000000077A908010103001E0F00000100000300191900000400002B020103001E0F00000100000300191900000400002B030103001E0F00000100000300191900000400002B040103001E0F00000100000300191900000400002B050103001E0F00000100000300191900000400002B060103001E0F00000100000300191900000400002B070103001E0F00000100000300191900000400002B080103001E0F00000100000300191900000400002B0000007903140501C17E',
  );
  const p2 = packet(
    '7E010420D301127540038104E2000200020000007A04000000000000007B0200000000007C1400000000000000000000000000000000000000000000F364381E06000E1007D003020101FFFFFFFFFFFFFFFFFF0000000302000000060302320503021B320503021E320503020A320503020302FFFFFFFF0000F365311E06000E1007D003020101FFFFFFFF00000007012C0078FFFFFF320503023205030232050302320503023205030200FFFF0000FF010537303231380000FF02144B352D50000000000000000000000000000000000000F373040BB80BB80000FF0006FEEA4C0510BD1F7E',
  );
  t.same([p1.header.serial, p2.header.serial, p1.header.packetIndex, p2.header.packetIndex], [1233, 1250, 1, 2]);
  for (const [name, order] of [
    ['in order', [p1, p2]],
    ['reversed', [p2, p1]],
  ] as const) {
    const r = new Reassembler({ timeoutMs: 5000, maxBytes: 1 << 20, maxSets: 4 });
    t.match(r.add(order[0].header, order[0].body, 0), { status: 'partial' }, `${name}: partial before the last fragment`);
    const done = r.add(order[1].header, order[1].body, 1);
    t.match(done, { status: 'complete', firstSerial: 1233, msgId: 0x0104 }, `${name}: complete`);
    const d = decode0104(completeBody(done), DEFAULT_BODY_OPTIONS);
    if (!d.ok) {
      t.fail(describeError(d));
      continue;
    }
    t.equal(d.value.count, 107);
    t.equal(d.value.params.length, 107, 'all 107 parameters parse');
    t.equal(d.value.replySerial, 0);
    const find = (id: number) => d.value.params.find((p) => p.id === id)?.value;
    t.same([find(0x0001), find(0x0010), find(0x0013), find(0x0083)], [600, 'CMNET', '222.184.26.22', '测试视频车辆'], 'values across the fragment boundary');
  }
});

t.test('duplicates are ignored; fragment bodies are copied', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 4 });
  const a = bytes(10, 1);
  const b = bytes(10, 2);
  t.same(r.add(frag(1, 2, 5), a, 0), { status: 'partial' });
  t.same(r.add(frag(1, 2, 9), Buffer.from(a), 1), { status: 'partial', duplicate: true }, 'same bytes, other serial: a retransmission');
  t.equal(r.pendingBytes, 10, 'counted once');
  const view = Buffer.from(b);
  const partialView = view.subarray(0, 10);
  const done = r.add(frag(2, 2, 6), partialView, 2);
  view.fill(0xaa); // the splitter reuses its scratch buffer
  a.fill(0xbb);
  t.equal(completeBody(done).toString('hex'), Buffer.concat([bytes(10, 1), b]).toString('hex'), 'kept copies, not views');
  t.same(r.add(frag(2, 2, 6), b, 3), { status: 'partial', duplicate: true }, 'retransmission after completion is not a new set');
  t.equal(r.pendingSets, 0);
});

t.test('rejections', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 100, maxSets: 4 });
  t.same(r.add(frag(0, 3, 1), bytes(5, 0), 0), { status: 'rejected', reason: 'INDEX_OUT_OF_RANGE' }, 'index 0');
  t.same(r.add(frag(4, 3, 1), bytes(5, 0), 0), { status: 'rejected', reason: 'INDEX_OUT_OF_RANGE' }, 'index > total');
  t.same(r.add(frag(1, 0, 1), bytes(5, 0), 0), { status: 'rejected', reason: 'NOT_SUBPACKAGED' }, 'total 0');
  t.same(r.add(frag(1, 2, 1, { subpackage: false }), bytes(5, 0), 0), { status: 'rejected', reason: 'NOT_SUBPACKAGED' });
  t.same(r.add(frag(1, 2, 1), bytes(101, 0), 0), { status: 'rejected', reason: 'FRAGMENT_TOO_LARGE' });
  t.equal(r.pendingSets, 0, 'nothing kept');
  t.throws(() => new Reassembler({ timeoutMs: 0 }), RangeError);
  t.match(new Reassembler().add(frag(1, 1, 77), bytes(3, 0), 0), { status: 'complete', firstSerial: 77 }, 'total 1 completes at once');
});

t.test('missing fragments: expire lists exactly the missing, then waits for the resend', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 4 });
  const parts = [1, 2, 3, 4, 5].map((i) => bytes(20, i));
  // Serials not consecutive (SPEC §4.5): fragment 1 = 300, the others 310, 320, ...
  for (const i of [1, 3, 5]) r.add(frag(i, 5, 300 + (i - 1) * 10), parts[i - 1], 100);
  t.same(r.expire(1099), [], 'nothing before the timeout');
  t.same(r.expire(1100), [{ terminalId: '13900000001', msgId: 0x0801, total: 5, firstSerial: 300, missing: [2, 4] }], 'after it: the missing indexes and the first serial');
  t.same(r.expire(1500), [], 'reported once per timeout');
  t.equal(r.pendingSets, 1, 'kept for the resend');
  r.add(frag(2, 5, 400), parts[1], 1600); // resent with a new serial
  const done = r.add(frag(4, 5, 401), parts[3], 1700);
  t.equal(completeBody(done).compare(Buffer.concat(parts)), 0, 'completed by the resent fragments');
  t.match(done, { firstSerial: 300 });
});

t.test('missing fragments that never come are dropped after the resend rounds', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 4, maxResendRounds: 2 });
  r.add(frag(2, 3, 51), bytes(5, 2), 0);
  r.add(frag(3, 3, 52), bytes(5, 3), 0);
  t.same(r.expire(1000).map((e) => [e.firstSerial, e.missing]), [[50, [1]]], 'fragment 1 missing: first serial derived as serial - (index - 1)');
  t.same(r.expire(2000).map((e) => e.missing), [[1]], 'second round');
  t.same(r.expire(3000), [], 'given up');
  t.equal(r.pendingSets, 0);
  t.equal(r.pendingBytes, 0);
  t.equal(r.droppedSets, 1);
});

t.test('bounded memory: the least recently active set is evicted and reported', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 2 });
  r.add(frag(1, 2, 1, { msgId: 0x0104 }), bytes(10, 1), 0);
  r.add(frag(1, 3, 10, { msgId: 0x0704 }), bytes(10, 2), 1);
  r.add(frag(2, 2, 2, { msgId: 0x0104 }), bytes(10, 3), 2); // completes 0x0104: one set left
  t.equal(r.pendingSets, 1);
  r.add(frag(1, 2, 20, { msgId: 0x0801 }), bytes(10, 4), 3);
  const third = r.add(frag(1, 2, 30, { msgId: 0x0900 }), bytes(10, 5), 4);
  t.match(third, { status: 'partial', evicted: [{ msgId: 0x0704, firstSerial: 10, missing: [2, 3], reason: 'MEMORY_BOUND' }] }, 'over maxSets');
  t.equal(r.pendingSets, 2);

  const small = new Reassembler({ timeoutMs: 1000, maxBytes: 25, maxSets: 10 });
  small.add(frag(1, 2, 1, { msgId: 0x0104 }), bytes(10, 1), 0);
  small.add(frag(1, 2, 5, { msgId: 0x0704 }), bytes(10, 2), 1);
  small.add(frag(1, 2, 1, { msgId: 0x0104 }), bytes(10, 1), 2); // duplicate: no change of order, no bytes
  const over = small.add(frag(1, 2, 9, { msgId: 0x0900 }), bytes(10, 3), 3);
  t.match(over, { status: 'partial', evicted: [{ msgId: 0x0104, reason: 'MEMORY_BOUND', missing: [2] }] }, 'over maxBytes');
  t.ok(small.pendingBytes <= 25);
  t.equal(small.pendingSets, 2);
});

t.test('a new message with the same key supersedes an incomplete one', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 4 });
  r.add(frag(1, 2, 1), bytes(10, 1), 0);
  const next = r.add(frag(1, 2, 3), bytes(10, 9), 1);
  t.match(next, { status: 'partial', evicted: [{ firstSerial: 1, missing: [2], reason: 'SUPERSEDED' }] });
  t.match(r.add(frag(2, 2, 4), bytes(10, 8), 2), { status: 'complete', firstSerial: 3 });
});

t.test('sets of different terminals, ids and totals do not mix', async (t) => {
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 8 });
  r.add(frag(1, 2, 1), bytes(4, 1), 0);
  t.match(r.add(frag(2, 2, 2, { terminalId: '13900000002' }), bytes(4, 2), 0), { status: 'partial' }, 'other terminal');
  t.match(r.add(frag(2, 2, 2, { msgId: 0x0704 }), bytes(4, 3), 0), { status: 'partial' }, 'other message id');
  t.match(r.add(frag(2, 3, 2), bytes(4, 4), 0), { status: 'partial' }, 'other total');
  t.equal(r.pendingSets, 4);
  t.match(r.add(frag(2, 2, 2), bytes(4, 5), 0), { status: 'complete' });
});

t.test('0x0801: a media head repeated in later fragments is stripped (SmallChi/JT808#51)', async (t) => {
  const head = hexToBuffer('0000271d00000101');
  const location = hexToBuffer('00000000000c200301d2400a063296a501e100000000190104092952');
  const jpeg = bytes(1500, 0xd8);
  const plain = Buffer.concat([head, location, jpeg]);
  const parts = splitBody(plain, 800);
  const r = new Reassembler({ timeoutMs: 1000, maxBytes: 1 << 20, maxSets: 4 });
  r.add(frag(1, 2, 1), parts[0], 0);
  const withHead = completeBody(r.add(frag(2, 2, 2), Buffer.concat([head, parts[1]]), 0));
  t.equal(withHead.compare(plain), 0, 'repeated 8-byte head removed');
  r.add(frag(1, 2, 3), parts[0], 0);
  const withBoth = completeBody(r.add(frag(2, 2, 4), Buffer.concat([head, location, parts[1]]), 0));
  t.equal(withBoth.compare(plain), 0, 'repeated head + location removed');
  const d = decode0801(withBoth, DEFAULT_BODY_OPTIONS);
  t.ok(d.ok && d.value.data.compare(jpeg) === 0 && d.value.mediaId === 10013, 'decodes to the original media');
  const other = new Reassembler();
  other.add(frag(1, 2, 1, { msgId: 0x0900 }), parts[0], 0);
  t.equal(completeBody(other.add(frag(2, 2, 2, { msgId: 0x0900 }), Buffer.concat([head, parts[1]]), 0)).length, plain.length + 8, 'other ids untouched');
});
