/**
 * The per-frame path (SplitterHandler.frameAt, decodePacketAt, decode0200At, PhoneCache) gives exactly
 * what the view-based path gives, on seeded random streams with escapes, bad checksums and junk.
 */
import t from 'tap';
import { bcdDigits, canonicalTerminalId, PhoneCache, writeBcd } from '../../../protocols/jt808/bcd.js';
import { FrameSplitter, xorChecksum } from '../../../protocols/jt808/framing.js';
import { encodePacket, decodePacket, decodePacketAt } from '../../../protocols/jt808/packet.js';
import { decode0200, decode0200At, encode0200 } from '../../../protocols/jt808/messages/location.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.FUZZ_SEED ?? 808);
const rnd = mulberry32(SEED);
const int = (n: number) => Math.floor(rnd() * n);

function randomFrame(): Buffer {
  const phone = rnd() < 0.1 ? 'a1b2c3d4e5f6' : String(13800000000 + int(5)).padStart(rnd() < 0.5 ? 12 : 20, '0');
  const layout = phone.length === 20 ? '2019' : '2013';
  const body = rnd() < 0.6
    ? encode0200({ status: int(16), lat: 29 + rnd(), lon: 106 + rnd(), speedKmh: int(100), direction: int(360), time: Date.UTC(2026, 0, 1) + int(1e9), mileageKm: int(9999), extras: rnd() < 0.3 ? [{ id: 0xe1, raw: Buffer.from([0x7e, 0x7d, int(256)]) }] : [] })
    : Buffer.from(Array.from({ length: int(40) }, () => (rnd() < 0.1 ? 0x7e : int(256))));
  const wire = encodePacket({ msgId: rnd() < 0.6 ? 0x0200 : int(0x10000), layout, phoneBcd: phone, serial: int(0x10000) }, body);
  if (rnd() < 0.1) wire[1 + int(wire.length - 2)] ^= 1 + int(255); // corrupt a byte (checksum, escape or header)
  return wire;
}

type Seen = { kind: 'frame'; hex: string; packet: string } | { kind: 'error'; code: string };

function describe(frame: Buffer): string {
  const p = decodePacket(Buffer.from(frame));
  if (!p.ok) return `error:${p.code}:${p.offset}`;
  const { header, body, checksumOk } = p.value;
  const loc = header.msgId === 0x0200 ? JSON.stringify(decode0200(body, { layout: header.layout, utcOffsetMinutes: 480 })) : '';
  return JSON.stringify({ header, body: body.toString('hex'), checksumOk }) + loc;
}

t.test(`frameAt + decodePacketAt + decode0200At = frame + decodePacket + decode0200 (seed ${SEED})`, async (t) => {
  const frames = Array.from({ length: 3000 }, randomFrame);
  const stream = Buffer.concat(frames.flatMap((f) => (rnd() < 0.05 ? [Buffer.from([0x24, 0x24]), f] : [f])));
  const viaViews: Seen[] = [];
  const viaRanges: Seen[] = [];
  const phones = new PhoneCache();
  const shared = Buffer.alloc(8192);
  const a = new FrameSplitter(8192);
  const b = new FrameSplitter(8192, shared);
  let xorMismatch = 0;
  for (let i = 0; i < stream.length; ) {
    const n = 1 + int(200);
    const chunk = stream.subarray(i, i + n);
    i += n;
    a.push(chunk, { frame: (f) => viaViews.push({ kind: 'frame', hex: f.toString('hex'), packet: describe(f) }), error: (code) => viaViews.push({ kind: 'error', code }) });
    b.push(chunk, {
      frame: () => t.fail('frameAt must be preferred'),
      frameAt: (buf, start, end, xor) => {
        if (xor !== xorChecksum(buf, start, end)) xorMismatch++;
        const p = decodePacketAt(buf, start, end, phones, xor);
        let packet: string;
        if (!p.ok) packet = `error:${p.code}:${p.offset}`;
        else {
          const { header, bodyStart, bodyEnd, checksumOk } = p.value;
          const loc = header.msgId === 0x0200 ? JSON.stringify(decode0200At(buf, bodyStart, bodyEnd, { layout: header.layout, utcOffsetMinutes: 480 })) : '';
          packet = JSON.stringify({ header, body: buf.subarray(bodyStart, bodyEnd).toString('hex'), checksumOk }) + loc;
        }
        viaRanges.push({ kind: 'frame', hex: buf.subarray(start, end).toString('hex'), packet });
      },
      error: (code) => viaRanges.push({ kind: 'error', code }),
    });
  }
  t.ok(viaViews.length > 2900, `${viaViews.length} frames and errors`);
  t.equal(xorMismatch, 0, 'the splitter hands out the XOR of each frame');
  t.same(viaRanges, viaViews, 'identical frames, packets, locations and errors');
});

t.test('PhoneCache gives the strings bcdDigits + canonicalTerminalId give', async (t) => {
  const cache = new PhoneCache();
  let bad = 0;
  for (let i = 0; i < 20_000; i++) {
    const len = rnd() < 0.5 ? 6 : 10;
    const bytes = Buffer.from(Array.from({ length: len }, () => (rnd() < 0.8 ? int(10) * 16 + int(10) : int(256))));
    if (rnd() < 0.3 && i > 0) bytes[len - 1] ^= 1; // near misses of the cached phone
    cache.read(bytes, 0, len);
    const hex = bcdDigits(bytes, 0, len);
    if (cache.phoneBcd !== hex || cache.terminalId !== canonicalTerminalId(hex)) bad++;
  }
  t.equal(bad, 0, 'no difference on 20,000 phones');
});

t.test('PhoneCache.writeBytes writes what writeBcd writes, and only for the cached phone', async (t) => {
  const cache = new PhoneCache();
  let bad = 0;
  for (let i = 0; i < 5_000; i++) {
    const len = rnd() < 0.5 ? 6 : 10;
    const bytes = Buffer.from(Array.from({ length: len }, () => (rnd() < 0.8 ? int(10) * 16 + int(10) : int(256))));
    cache.read(bytes, 0, len);
    const want = Buffer.alloc(len + 2);
    writeBcd(want, 1, cache.phoneBcd, len);
    const got = Buffer.alloc(len + 2);
    if (!cache.writeBytes(got, 1, cache.phoneBcd, len) || !got.equals(want)) bad++;
  }
  t.equal(bad, 0, 'same bytes on 5,000 phones');
  cache.read(Buffer.from('013800138000', 'hex'), 0, 6);
  const out = Buffer.alloc(10);
  t.notOk(cache.writeBytes(out, 0, '013800138001', 6), 'another phone: not written');
  t.notOk(cache.writeBytes(out, 0, cache.phoneBcd, 10), 'another length: not written');
  t.same(out, Buffer.alloc(10), 'nothing written');
});

t.test('an idle splitter holds no buffer; a split frame still reassembles', async (t) => {
  const s = new FrameSplitter(8192);
  t.equal(s.bufferedBytes, 0);
  const wire = encodePacket({ msgId: 0x0002, layout: '2013', phoneBcd: '013800138000', serial: 1 }, Buffer.alloc(0));
  const got: string[] = [];
  s.push(wire.subarray(0, 5), { frame: (f) => got.push(f.toString('hex')), error: () => {} });
  t.equal(s.bufferedBytes, 4, 'four bytes held');
  s.push(wire.subarray(5), { frame: (f) => got.push(f.toString('hex')), error: () => {} });
  t.equal(got.length, 1, 'reassembled');
  t.throws(() => new FrameSplitter(8192, Buffer.alloc(100)), RangeError, 'a shared scratch must fit a frame');
});
