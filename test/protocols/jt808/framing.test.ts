// Framing (SPEC §3): escape/unescape, checksum, and the stream splitter's behaviour on sticky, half,
// oversize and broken frames. Frames are compared as hex so a failure prints readable bytes.
import t from 'tap';
import {
  FrameSplitter,
  escapedLength,
  unescapeFrame,
  unescapeInto,
  wrapFrame,
  xorChecksum,
  type SplitterHandler,
} from '../../../protocols/jt808/framing.js';
import type { DecodeErrorCode } from '../../../protocols/jt808/errors.js';
import { decodePacket } from '../../../protocols/jt808/packet.js';
import { hexToBuffer as h } from '../../helpers/vectors.js';

interface Collected {
  frames: string[];
  errors: { code: DecodeErrorCode; raw: string }[];
  skipped: number;
}

/** A handler that copies everything it is given (views are only valid during the callback). */
function collector(): { out: Collected; handler: SplitterHandler } {
  const out: Collected = { frames: [], errors: [], skipped: 0 };
  const handler: SplitterHandler = {
    frame: (f) => out.frames.push(f.toString('hex')),
    error: (code, raw) => out.errors.push({ code, raw: raw.toString('hex') }),
    skipped: (n) => {
      out.skipped += n;
    },
  };
  return { out, handler };
}

function split(chunks: Buffer[], max?: number): Collected & { buffered: number } {
  const s = new FrameSplitter(max);
  const { out, handler } = collector();
  for (const c of chunks) s.push(c, handler);
  return { ...out, buffered: s.bufferedBytes };
}

// Two real frames: a heartbeat whose checksum is 0x7e (escaped) and a 0x0200 with 7e inside the latitude.
const HEARTBEAT_WIRE = h('7E00020000040021679287002B7D027E');
const HEARTBEAT_RAW = '00020000040021679287002b7e';
const LOCATION_WIRE = h('7e0200001c0123456789010000000004000000080007203b7d0202633df70138000300632410012359591c7e');
const LOCATION_RAW = '0200001c0123456789010000000004000000080007203b7e02633df70138000300632410012359591c';
const LOGOUT_WIRE = h('7E0003000001234567890000018B7E');
const LOGOUT_RAW = '0003000001234567890000018b';

t.test('escape: the standard example 30 7E 08 7D 55', async (t) => {
  // wrapFrame appends a checksum, so check the escaped body part and the checksum separately.
  const payload = h('307e087d55');
  const wire = wrapFrame(payload);
  const sum = xorChecksum(payload, 0, payload.length);
  t.equal(wire.subarray(0, 8).toString('hex'), '7e307d02087d0155', 'payload escaped as 30 7D 02 08 7D 01 55');
  t.equal(wire[wire.length - 1], 0x7e, 'closing delimiter');
  t.equal(wire.length, 1 + 7 + 1 + 1, 'one byte checksum (not 7e/7d) + delimiters');
  t.equal(wire[wire.length - 2], sum, 'checksum byte');
  t.equal(escapedLength(payload), 7);
  // and the other way: the standard's wire form unescapes to the payload
  const un = unescapeFrame(h('7E307D02087D01557E'));
  t.ok(un.ok);
  if (un.ok) t.equal(un.frame.toString('hex'), '307e087d55');
});

t.test('unescape order: 7d 01 7d 02 and 7d 02 7d 01 (no double replacement)', async (t) => {
  for (const [wire, raw] of [
    ['7d017d02', '7d7e'],
    ['7d027d01', '7e7d'],
    ['7d0102', '7d02'], // a literal 02 after an escaped 7d is data
    ['7d0201', '7e01'],
  ]) {
    const r = unescapeFrame(h(wire));
    t.ok(r.ok, wire);
    if (r.ok) t.equal(r.frame.toString('hex'), raw, wire);
  }
});

t.test('escape: every byte value round-trips', async (t) => {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const wire = wrapFrame(all);
  t.equal(wire.indexOf(0x7e, 1), wire.length - 1, 'no 0x7e inside the frame');
  const un = unescapeFrame(wire);
  t.ok(un.ok);
  if (un.ok) {
    t.same(un.frame.subarray(0, 256), all);
    t.equal(un.frame[256], xorChecksum(all, 0, 256));
  }
});

t.test('checksum: XOR of header+body; a 0x7e / 0x7d checksum is escaped', async (t) => {
  t.equal(xorChecksum(h('00020000040021679287002b'), 0, 12), 0x7e);
  const wire = wrapFrame(h('00020000040021679287002b'));
  t.equal(wire.toString('hex').toUpperCase(), '7E00020000040021679287002B7D027E', 'SmallChi 0x0002 Test3');
  // find a payload whose checksum is 0x7d
  const p = h('0002000004002167928700');
  const need = xorChecksum(p, 0, p.length) ^ 0x7d;
  const withSum7d = Buffer.concat([p, Buffer.from([need])]);
  const w2 = wrapFrame(withSum7d);
  t.equal(w2.subarray(w2.length - 3).toString('hex'), '7d017e', 'checksum 0x7d sent as 7d 01');
  const un = unescapeFrame(w2);
  t.ok(un.ok && un.frame[un.frame.length - 1] === 0x7d);
});

t.test('unescape: invalid escape reports the offset of the 0x7d', async (t) => {
  const r = unescapeFrame(h('7e02007d037e')); // go-jt808 rejects this
  t.notOk(r.ok);
  if (!r.ok) {
    t.equal(r.code, 'INVALID_ESCAPE');
    t.equal(r.offset, 3, 'offset of 7d in the wire bytes');
  }
  const dst = Buffer.alloc(8);
  t.equal(unescapeInto(h('00007d05'), 0, 4, dst, 0), -3, '-(offset+1)');
});

t.test('unescape: a lone 0x7d right before the closing 0x7e is taken literally (SPEC §10.5)', async (t) => {
  const r = unescapeFrame(h('7e0002000000000000067900007d7e'));
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.frame.toString('hex'), '0002000000000000067900007d');
  const p = decodePacket(r.frame);
  t.ok(p.ok && p.value.checksumOk, 'and its checksum is right');
});

t.test('splitter: one frame, several frames per read, 7e 7e between them', async (t) => {
  const one = split([HEARTBEAT_WIRE]);
  t.same(one.frames, [HEARTBEAT_RAW]);
  t.equal(one.buffered, 0);

  const sticky = split([Buffer.concat([HEARTBEAT_WIRE, LOCATION_WIRE, LOGOUT_WIRE])]);
  t.same(sticky.frames, [HEARTBEAT_RAW, LOCATION_RAW, LOGOUT_RAW], 'end and start delimiters back to back');
  t.same(sticky.errors, []);

  // A shared delimiter (7e A 7e B 7e) gives the same frames.
  const shared = split([h('7E00020000040021679287002B7D027E0003000001234567890000018B7E')]);
  t.same(shared.frames, [HEARTBEAT_RAW, LOGOUT_RAW]);

  // Runs of delimiters are empty candidates, skipped silently.
  const runs = split([h('7e7e7e7e'), HEARTBEAT_WIRE, h('7e7e')]);
  t.same(runs.frames, [HEARTBEAT_RAW]);
  t.same(runs.errors, []);
});

t.test('splitter: a stream split at every byte position (incl. between 7d and 01/02)', async (t) => {
  const stream = Buffer.concat([HEARTBEAT_WIRE, LOCATION_WIRE, LOGOUT_WIRE]);
  const whole = split([stream]).frames;
  let failures = 0;
  for (let cut = 0; cut <= stream.length; cut++) {
    const got = split([stream.subarray(0, cut), stream.subarray(cut)]);
    if (JSON.stringify(got.frames) !== JSON.stringify(whole) || got.errors.length > 0) failures++;
  }
  t.equal(failures, 0, `all ${stream.length + 1} two-way splits give the same frames`);
  // three-way splits around every escape byte
  const escAt: number[] = [];
  for (let i = 0; i < stream.length; i++) if (stream[i] === 0x7d) escAt.push(i);
  t.ok(escAt.length >= 2, 'the stream has escapes');
  for (const e of escAt) {
    const got = split([stream.subarray(0, e), stream.subarray(e, e + 1), stream.subarray(e + 1)]);
    t.same(got.frames, whole, `7d alone in a read at ${e}`);
  }
  // byte by byte
  const bytes: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) bytes.push(stream.subarray(i, i + 1));
  t.same(split(bytes).frames, whole, 'one byte per read');
});

t.test('splitter: half packet stays buffered until the rest arrives', async (t) => {
  const s = new FrameSplitter();
  const { out, handler } = collector();
  s.push(LOCATION_WIRE.subarray(0, 20), handler);
  t.same(out.frames, []);
  t.equal(s.bufferedBytes, 19, 'bytes after the opening delimiter are held');
  s.push(LOCATION_WIRE.subarray(20), handler);
  t.same(out.frames, [LOCATION_RAW]);
  t.equal(s.bufferedBytes, 0);
  s.push(LOGOUT_WIRE.subarray(0, 5), handler);
  s.reset();
  t.equal(s.bufferedBytes, 0, 'reset drops the partial frame');
  s.push(LOGOUT_WIRE.subarray(5), handler);
  s.push(HEARTBEAT_WIRE, handler);
  // After reset the tail of the logout is noise before a delimiter; its closing 7e opens a candidate
  // that ends at the heartbeat's opening 7e: that candidate is empty, so only the heartbeat comes out.
  t.same(out.frames, [LOCATION_RAW, HEARTBEAT_RAW]);
});

t.test('splitter: garbage before the first 0x7e is skipped and counted', async (t) => {
  const got = split([h('242400010203'), LOGOUT_WIRE]);
  t.same(got.frames, [LOGOUT_RAW]);
  t.equal(got.skipped, 6);
  const noise = split([Buffer.from('GET / HTTP/1.1\r\n\r\n'), h('00'), LOGOUT_WIRE]);
  t.same(noise.frames, [LOGOUT_RAW], 'text noise across reads');
  t.same(noise.errors, []);
});

t.test('splitter: oversize frame → FRAME_TOO_LONG once, then resync; the next frame decodes', async (t) => {
  const big = Buffer.concat([h('7e'), Buffer.alloc(300, 0x11), h('7e')]);
  const got = split([big, LOGOUT_WIRE], 64);
  t.equal(got.errors.length, 1);
  t.equal(got.errors[0].code, 'FRAME_TOO_LONG');
  t.same(got.frames, [LOGOUT_RAW]);

  // The same across many small reads, with no closing delimiter for a while.
  const s = new FrameSplitter(64);
  const { out, handler } = collector();
  s.push(h('7e'), handler);
  for (let i = 0; i < 40; i++) s.push(Buffer.alloc(10, 0x22), handler);
  t.ok(s.bufferedBytes <= 64, 'buffer stays within the cap');
  s.push(Buffer.concat([Buffer.alloc(5, 0x22), LOGOUT_WIRE, HEARTBEAT_WIRE]), handler);
  t.same(out.errors.map((e) => e.code), ['FRAME_TOO_LONG'], 'reported once');
  t.same(out.frames, [LOGOUT_RAW, HEARTBEAT_RAW]);

  // A frame of exactly the cap passes.
  const exact = Buffer.concat([h('7e'), Buffer.alloc(64, 0x33), h('7e')]);
  const e = split([exact], 64);
  t.equal(e.frames.length, 1);
  t.same(e.errors, []);
  const over = split([Buffer.concat([h('7e'), Buffer.alloc(65, 0x33), h('7e')]), LOGOUT_WIRE], 64);
  t.same(over.errors.map((x) => x.code), ['FRAME_TOO_LONG']);
  t.same(over.frames, [LOGOUT_RAW]);
});

t.test('splitter: invalid escape is reported and the next frame is fine', async (t) => {
  const got = split([h('7e02007d037e'), LOGOUT_WIRE]);
  t.same(got.errors, [{ code: 'INVALID_ESCAPE', raw: '02007d03' }]);
  t.same(got.frames, [LOGOUT_RAW]);
  // split inside the bad escape as well
  const got2 = split([h('7e02007d'), h('03'), h('7e'), LOGOUT_WIRE]);
  t.same(got2.errors.map((e) => e.code), ['INVALID_ESCAPE']);
  t.same(got2.frames, [LOGOUT_RAW]);
});

t.test('splitter: one bad frame never poisons the next', async (t) => {
  const bad = [
    h('7e7d7d7d7e'), // escapes of escapes
    h('7e0102037e'), // too short for a header: the splitter passes it, decodePacket rejects it
    Buffer.concat([h('7e'), Buffer.alloc(100, 0x7d), h('7e')]), // too long and full of bad escapes
    h('7e0002000001234567890000ff7e'), // bad checksum
    h('7e7d'), // dangling escape, closed by the next frame's opening delimiter
  ];
  for (const b of bad) {
    const s = new FrameSplitter(64);
    const { out, handler } = collector();
    s.push(b, handler);
    s.push(LOGOUT_WIRE, handler);
    s.push(HEARTBEAT_WIRE, handler);
    const last2 = out.frames.slice(-2);
    t.same(last2, [LOGOUT_RAW, HEARTBEAT_RAW], `after ${b.toString('hex').slice(0, 24)}`);
  }
});

t.test('splitter: fast path hands out views of the chunk, escaped frames a scratch copy', async (t) => {
  const s = new FrameSplitter();
  const chunk = Buffer.from(LOGOUT_WIRE);
  let seen: Buffer | undefined;
  s.push(chunk, { frame: (f) => (seen = f), error: () => t.fail('no error') });
  t.ok(seen && seen.buffer === chunk.buffer, 'no copy when nothing to unescape');
  let escaped = '';
  s.push(HEARTBEAT_WIRE, { frame: (f) => (escaped = f.toString('hex')), error: () => t.fail('no error') });
  t.equal(escaped, HEARTBEAT_RAW);
});

t.test('splitter + packet: an empty or short candidate is an error value, not a message', async (t) => {
  const got = split([h('7e01017e')]);
  t.same(got.frames, ['0101'], 'the splitter passes the candidate on');
  const p = decodePacket(h(got.frames[0]));
  t.notOk(p.ok);
  if (!p.ok) t.equal(p.code, 'FRAME_SHORT');
});

t.test('splitter: one shared splitter serves streams in turn (idleState / resume / handOver)', async (t) => {
  // What the gateway does: a stream keeps a small state between frames and a splitter of its own only
  // while a frame spans its reads. Its frames, errors and skips must be those of a splitter of its own.
  const shared = new FrameSplitter(64);
  interface Stream { own: FrameSplitter | null; state: number; got: Collected; handler: SplitterHandler }
  const open = (): Stream => {
    const { out, handler } = collector();
    return { own: null, state: 0, got: out, handler };
  };
  const push = (s: Stream, chunk: Buffer) => {
    let sp = s.own;
    if (sp === null) {
      sp = shared;
      sp.resume(s.state);
    }
    sp.push(chunk, s.handler);
    const st = sp.idleState;
    if (st >= 0) {
      s.state = st;
      s.own = null;
    } else if (sp === shared) {
      s.own = new FrameSplitter(64);
      sp.handOver(s.own);
    }
  };
  const big = Buffer.concat([h('7e'), Buffer.alloc(100, 0x11)]);
  const stream = Buffer.concat([h('2424'), HEARTBEAT_WIRE, big, LOGOUT_WIRE, h('7e7d037e'), LOGOUT_WIRE.subarray(0, 7)]);
  let failures = 0;
  for (let cut = 0; cut <= stream.length; cut++) {
    const [a, b] = [open(), open()];
    // Two streams interleaved read by read, each split at `cut` and at cut / 2.
    const pieces = (c: number) => [stream.subarray(0, c >> 1), stream.subarray(c >> 1, c), stream.subarray(c)];
    const pa = pieces(cut);
    const pb = pieces(stream.length - cut);
    for (let i = 0; i < 3; i++) {
      push(a, pa[i]);
      push(b, pb[i]);
    }
    for (const [s, p] of [[a, pa], [b, pb]] as const) {
      const ref = split(p, 64);
      const buffered = s.own?.bufferedBytes ?? 0;
      if (JSON.stringify([s.got.frames, s.got.errors, s.got.skipped, buffered]) !== JSON.stringify([ref.frames, ref.errors, ref.skipped, ref.buffered])) failures++;
    }
  }
  t.equal(failures, 0, `every split of two interleaved streams gives each one what a splitter of its own gives`);
  const ref = split([stream], 64);
  t.same([ref.frames.length, ref.errors.length, ref.buffered > 0], [2, 2, true], 'the stream has frames, errors and a partial tail');
});
