// Property and fuzz tests for the codec (SPEC §3, §4, §12 "never throw past the connection handler").
// Seeded: the seed is printed; rerun a failure with FUZZ_SEED=<seed> (FUZZ_CASES=<n> changes the count).
//  1. Random and mutated frames through FrameSplitter + decodePacket + decodeBody: never throws, work
//     per case is bounded, every outcome is a value or a well-formed error.
//  2. Random chunking of a long valid stream gives exactly the frames of one push.
//  3. encode → decode round trips with random field values for every message with an encoder
//     (0x0200/0x0201/0x0704 are covered by location.test.ts) and for headers and subpackaging.
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import type { DecodeErrorCode } from '../../../protocols/jt808/errors.js';
import { FrameSplitter, unescapeFrame, wrapFrame, xorChecksum } from '../../../protocols/jt808/framing.js';
import type { HeaderLayout, HeaderSpec } from '../../../protocols/jt808/header.js';
import { decodePacket, encodePacket } from '../../../protocols/jt808/packet.js';
import { encodeSubpackaged, Reassembler } from '../../../protocols/jt808/subpackage.js';
import * as m from '../../../protocols/jt808/messages/index.js';
import { hexToBuffer, loadVectors } from '../../helpers/vectors.js';

// ---------------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): small, fast, good enough for test input.

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const CASES = Number(process.env.FUZZ_CASES ?? 300_000);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(SEED);
/** Integer in [0, n). */
const int = (n: number): number => Math.floor(rand() * n);
const pickOne = <T>(list: readonly T[]): T => list[int(list.length)];
const randomBytes = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
};

t.comment(`FUZZ_SEED=${SEED} (set FUZZ_SEED to replay)`);

// ---------------------------------------------------------------------------------------------------
// Corpus: every vector frame and stream, plus frames from our own encoders.

const vectors = loadVectors();
const corpus: Buffer[] = [];
for (const v of vectors) {
  if (v.hex) corpus.push(hexToBuffer(v.hex));
  else if (v.bodyHex) corpus.push(hexToBuffer(v.bodyHex));
}
const KNOWN_IDS = Object.keys(m.MESSAGE_NAMES).map(Number);
const ERROR_CODES: ReadonlySet<DecodeErrorCode> = new Set<DecodeErrorCode>([
  'FRAME_SHORT',
  'FRAME_TOO_LONG',
  'INVALID_ESCAPE',
  'LENGTH_MISMATCH',
  'BAD_CHECKSUM',
  'BODY_SHORT',
  'BODY_INVALID',
  'BAD_BCD',
  'UNSUPPORTED',
]);

/** Re-wraps an unescaped frame's header+body with a right checksum (to get past the checksum into bodies). */
function rewrap(unescaped: Buffer): Buffer {
  return wrapFrame(unescaped.subarray(0, Math.max(0, unescaped.length - 1)));
}

function unescaped(wire: Buffer): Buffer | undefined {
  const r = unescapeFrame(wire);
  return r.ok ? Buffer.from(r.frame) : undefined;
}

/** Sets the body-length bits to the real body length for the frame's apparent layout, keeps the rest. */
function fixLength(frame: Buffer, layout: HeaderLayout): void {
  if (frame.length < 5) return;
  const props = frame.readUInt16BE(2);
  const head = (layout === '2019' ? 17 : 12) + (props & 0x2000 ? 4 : 0);
  const n = frame.length - 1 - head;
  if (n < 0 || n > 0x3ff) return;
  frame.writeUInt16BE((props & ~0x3ff) | n, 2);
}

type Mutator = (wire: Buffer) => Buffer;

const MUTATORS: [string, Mutator][] = [
  ['bit flips', (w) => {
    const b = Buffer.from(w);
    for (let k = 1 + int(4); k > 0 && b.length > 0; k--) b[int(b.length)] ^= 1 << int(8);
    return b;
  }],
  ['byte overwrite', (w) => {
    const b = Buffer.from(w);
    if (b.length > 0) b[int(b.length)] = int(256);
    return b;
  }],
  ['truncate', (w) => w.subarray(0, int(w.length + 1))],
  ['drop head', (w) => w.subarray(int(w.length + 1))],
  ['insert 7e/7d', (w) => {
    const at = int(w.length + 1);
    return Buffer.concat([w.subarray(0, at), Buffer.from([pickOne([0x7e, 0x7d, 0x7d, 0x7e])]), w.subarray(at)]);
  }],
  ['delete range', (w) => {
    const at = int(w.length + 1);
    return Buffer.concat([w.subarray(0, at), w.subarray(at + 1 + int(8))]);
  }],
  ['duplicate range', (w) => {
    const at = int(w.length + 1);
    return Buffer.concat([w.subarray(0, at), w.subarray(at, at + int(32)), w.subarray(at)]);
  }],
  ['splice two frames', (w) => {
    const o = pickOne(corpus);
    return Buffer.concat([w.subarray(0, int(w.length + 1)), o.subarray(int(o.length + 1))]);
  }],
  ['length field edit', (w) => {
    const f = unescaped(w);
    if (!f || f.length < 5) return w;
    const props = f.readUInt16BE(2);
    const edits = [props ^ (1 << int(10)), props ^ 0x4000, props ^ 0x2000, props ^ 0x1c00, (props & ~0x3ff) | int(0x400), int(0x10000)];
    f.writeUInt16BE(pickOne(edits), 2);
    return rewrap(f);
  }],
  ['body mutation, length and checksum fixed', (w) => {
    const f = unescaped(w);
    const p = f ? decodePacket(f) : undefined;
    if (!f || !p || !p.ok) return w;
    const head = f.subarray(0, p.value.header.headerLength);
    let body: Buffer = Buffer.from(p.value.body);
    const how = int(4);
    if (how === 0) body = body.subarray(0, int(body.length + 1));
    else if (how === 1) body = Buffer.concat([body, randomBytes(int(16))]);
    else if (how === 2) for (let k = 1 + int(3); k > 0 && body.length > 0; k--) body[int(body.length)] = int(256);
    else body = randomBytes(int(64));
    const out = Buffer.concat([head, body, Buffer.alloc(1)]);
    fixLength(out, p.value.header.layout);
    return rewrap(out);
  }],
  ['message id swap (one body read as another)', (w) => {
    const f = unescaped(w);
    if (!f || f.length < 13) return w;
    f.writeUInt16BE(pickOne(KNOWN_IDS), 0);
    return rewrap(f);
  }],
  ['random bytes', () => {
    const b = randomBytes(int(80));
    for (let k = int(4); k > 0 && b.length > 0; k--) b[int(b.length)] = 0x7e;
    return b;
  }],
  ['random header + random body, right length', () => {
    const layout = pickOne(['2013', '2019'] as const);
    const sub = int(4) === 0;
    const head = (layout === '2019' ? 17 : 12) + (sub ? 4 : 0);
    const f = Buffer.concat([randomBytes(head), randomBytes(int(120)), Buffer.alloc(1)]);
    f.writeUInt16BE(pickOne(KNOWN_IDS), 0);
    f[2] = (f[2] & 0x80) | (layout === '2019' ? 0x40 : 0) | (sub ? 0x20 : 0) | (int(8) === 0 ? 0x04 : 0);
    fixLength(f, layout);
    return rewrap(f);
  }],
];

// ---------------------------------------------------------------------------------------------------
// The invariant checks.

/** Finds NaN or a non-finite number anywhere in a decoded value (an over-read shows up as NaN). */
function findNaN(v: unknown, path: string, depth = 0): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : path;
  if (depth > 6 || v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return undefined;
  for (const [k, x] of Object.entries(v)) {
    const bad = findNaN(x, `${path}.${k}`, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

interface Stats {
  cases: number;
  frames: number;
  packets: number;
  bodiesOk: number;
  errors: Map<string, number>;
  problems: string[];
  maxCaseMs: number;
  maxCaseHex: string;
}

function note(stats: Stats, code: string): void {
  stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
}

function problem(stats: Stats, what: string, wire: Buffer): void {
  if (stats.problems.length < 20) stats.problems.push(`${what} — wire ${wire.toString('hex').slice(0, 400)}`);
}

/** decodePacket + decodeBody on one unescaped frame; checks the shape of every outcome. */
function decodeFrame(stats: Stats, frame: Buffer, wire: Buffer): void {
  stats.frames++;
  const p = decodePacket(frame);
  if (typeof p !== 'object' || p === null || typeof p.ok !== 'boolean') return problem(stats, 'decodePacket returned no result', wire);
  if (!p.ok) {
    if (!ERROR_CODES.has(p.code)) problem(stats, `decodePacket: unknown code ${p.code}`, wire);
    if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset > frame.length) problem(stats, `decodePacket: offset ${p.offset} outside the frame`, wire);
    return note(stats, p.code);
  }
  stats.packets++;
  const { header, body } = p.value;
  if (body.length !== header.bodyLength) problem(stats, `body view ${body.length} bytes, header says ${header.bodyLength}`, wire);
  const opts = { utcOffsetMinutes: pickOne([480, 0, -300, 840]), ...(int(4) === 0 ? { registerVersion: pickOne(['2011', '2013', '2019'] as const) } : {}) };
  const r = m.decodeBody(header, body, opts);
  if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean') return problem(stats, 'decodeBody returned no result', wire);
  if (!r.ok) {
    if (!ERROR_CODES.has(r.code)) problem(stats, `decodeBody: unknown code ${r.code}`, wire);
    if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset > body.length) problem(stats, `decodeBody 0x${header.msgId.toString(16)}: ${r.code} offset ${r.offset} outside the ${body.length}-byte body`, wire);
    return note(stats, r.code);
  }
  stats.bodiesOk++;
  const nan = findNaN(r.value, r.value.kind);
  if (nan) problem(stats, `decodeBody 0x${header.msgId.toString(16)}: non-finite number at ${nan}`, wire);
}

t.test(`fuzz: ${CASES} random and mutated frames never throw, never hang`, async (t) => {
  const stats: Stats = { cases: 0, frames: 0, packets: 0, bodiesOk: 0, errors: new Map(), problems: [], maxCaseMs: 0, maxCaseHex: '' };
  // One long-lived splitter across all cases, as on a real connection: one bad frame must not poison the next.
  const stream = new FrameSplitter(2048);
  let current: Buffer = Buffer.alloc(0);
  const handler = {
    frame: (f: Buffer) => decodeFrame(stats, f, current),
    error: (code: DecodeErrorCode) => note(stats, `splitter ${code}`),
  };
  const started = performance.now();
  let thrown = 0;
  for (let i = 0; i < CASES; i++) {
    const [name, mutate] = MUTATORS[i % MUTATORS.length];
    let wire: Buffer = pickOne(corpus);
    for (let k = 1 + (int(3) === 0 ? int(3) : 0); k > 0; k--) wire = mutate(wire);
    current = wire;
    const t0 = performance.now();
    try {
      // Directly (every mutated frame reaches the decoders) ...
      const un = unescapeFrame(wire);
      if (un.ok) decodeFrame(stats, un.frame, wire);
      else note(stats, un.code);
      // ... and through the stream splitter, cut at a random point.
      const cut = int(wire.length + 1);
      stream.push(wire.subarray(0, cut), handler);
      stream.push(wire.subarray(cut), handler);
    } catch (e) {
      thrown++;
      problem(stats, `${name}: threw ${(e as Error).stack ?? String(e)}`, wire);
    }
    const dt = performance.now() - t0;
    if (dt > stats.maxCaseMs) {
      stats.maxCaseMs = dt;
      stats.maxCaseHex = wire.toString('hex').slice(0, 80);
    }
    stats.cases++;
    if (stream.bufferedBytes > 2048) problem(stats, `splitter holds ${stream.bufferedBytes} bytes over its cap`, wire);
  }
  const seconds = (performance.now() - started) / 1000;
  t.equal(thrown, 0, 'nothing threw');
  t.same(stats.problems, [], 'every outcome is a value or a well-formed error');
  // Bounded work: the largest input is a few KiB (≈30 ms at worst on a loaded host); a case taking seconds means
  // a loop gone wrong, not a slow machine.
  t.ok(stats.maxCaseMs < 2000, `slowest case ${stats.maxCaseMs.toFixed(2)} ms (${stats.maxCaseHex}…)`);
  t.ok(stats.bodiesOk > CASES / 20, `bodies reached and decoded: ${stats.bodiesOk}`);
  const errors = [...stats.errors.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  t.comment(`seed ${SEED}: ${stats.cases} cases in ${seconds.toFixed(2)} s (${Math.round(stats.cases / seconds)} cases/s); ` + `${stats.frames} frames, ${stats.packets} packets, ${stats.bodiesOk} bodies decoded; errors: ${errors}`);
});

t.test('random chunking of a long valid stream gives the frames of one push', async (t) => {
  const valid: Buffer[] = [];
  for (const v of vectors) {
    if (!v.hex) continue;
    const f = unescaped(hexToBuffer(v.hex));
    const p = f ? decodePacket(f) : undefined;
    if (p?.ok && p.value.checksumOk) valid.push(hexToBuffer(v.hex));
  }
  const parts: Buffer[] = [];
  for (let i = 0; i < 600; i++) {
    parts.push(pickOne(valid));
    if (int(5) === 0) parts.push(Buffer.from('noise without delimiters'));
    if (int(7) === 0) parts.push(Buffer.from([0x7e])); // an extra delimiter: an empty candidate
  }
  const stream = Buffer.concat(parts);
  const run = (chunks: Buffer[]) => {
    const s = new FrameSplitter();
    const got: string[] = [];
    let skipped = 0;
    const h = { frame: (f: Buffer) => got.push(f.toString('hex')), error: (c: DecodeErrorCode) => got.push(`error ${c}`), skipped: (n: number) => (skipped += n) };
    for (const c of chunks) s.push(c, h);
    return { got, skipped, buffered: s.bufferedBytes };
  };
  const once = run([stream]);
  t.ok(once.got.length >= 600, `${once.got.length} frames in a ${stream.length}-byte stream`);
  t.notOk(once.got.some((g) => g.startsWith('error')), 'no errors in a valid stream');
  let mismatches = 0;
  for (let round = 0; round < 300; round++) {
    const chunks: Buffer[] = [];
    const maxChunk = pickOne([1, 2, 3, 7, 64, 1500, 9000]);
    for (let at = 0; at < stream.length; ) {
      const n = 1 + int(maxChunk);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    const r = run(chunks);
    if (r.got.length !== once.got.length || r.got.some((g, i) => g !== once.got[i]) || r.skipped !== once.skipped || r.buffered !== once.buffered) mismatches++;
  }
  t.equal(mismatches, 0, '300 random chunkings agree with one push');
});

// ---------------------------------------------------------------------------------------------------
// Round trips with random values.

const ROUNDS = 400;
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789';
const GBK_CHARS = '粤京苏测沪浙鲁川渝';
const u8 = () => int(0x100);
const u16 = () => int(0x10000);
const u32 = () => int(0x100000000);
/** Random text of min..max GBK bytes, ASCII letters and digits, with some 2-byte GBK characters. */
function text(max: number, min = 0, gbk = false): string {
  const n = min + int(max - min + 1);
  let s = '';
  let len = 0;
  while (len < n) {
    const wide = gbk && int(4) === 0 && len + 2 <= max;
    s += wide ? pickOne([...GBK_CHARS]) : ALNUM[int(ALNUM.length)];
    len += wide ? 2 : 1;
  }
  return s;
}
const layoutOf = (): HeaderLayout => pickOne(['2013', '2019'] as const);
const OPTS = (layout: HeaderLayout, extra: Partial<m.BodyOptions> = {}): m.BodyOptions => ({ layout, utcOffsetMinutes: 480, ...extra });
const secondsTime = () => Date.UTC(2000, 0, 1) + int(99 * 365 * 86400) * 1000;

/** Decodes or throws with the error, for round trips. */
function must<T>(r: { ok: true; value: T } | { ok: false; code: string; offset: number; detail?: string }): T {
  if (!r.ok) throw new Error(`${r.code} at ${r.offset}${r.detail ? `: ${r.detail}` : ''}`);
  return r.value;
}

interface RoundTrip {
  name: string;
  /** A known codec limitation: reported as a tap TODO (visible, not failing) until fixed. */
  todo?: string;
  /** Builds random input, encodes, decodes; returns [what was meant, what came back]. */
  run(): [unknown, unknown];
}

const ROUND_TRIPS: RoundTrip[] = [
  { name: '0x0001', run: () => { const r = { replySerial: u16(), replyMsgId: u16(), result: int(4) }; return [r, must(m.decode0001(m.encode0001(r), OPTS('2013')))]; } },
  { name: '0x8001', run: () => { const r = { replySerial: u16(), replyMsgId: u16(), result: int(5) }; return [r, must(m.decode8001(m.encode8001(r), OPTS('2013')))]; } },
  { name: '0x0002', run: () => { const extra = int(2) ? randomBytes(1 + int(3)) : undefined; return [extra ? { extra } : {}, must(m.decode0002(m.encode0002(extra), OPTS('2013')))]; } },
  { name: '0x8004', run: () => { const time = secondsTime(); return [{ time }, must(m.decode8004(m.encode8004(time), OPTS('2019')))]; } },
  ...(['0x8003', '0x0005'] as const).map((name) => ({
    name,
    run: (): [unknown, unknown] => {
      const layout = layoutOf();
      const r = { firstSerial: u16(), indexes: Array.from({ length: 1 + int(layout === '2019' ? 300 : 255) }, () => 1 + int(0xffff)) };
      const body = name === '0x8003' ? m.encode8003(r, layout) : m.encode0005(r, layout);
      return [r, must(name === '0x8003' ? m.decode8003(body, OPTS(layout)) : m.decode0005(body, OPTS(layout)))];
    },
  })),
  {
    name: '0x0100',
    run: () => {
      const version = pickOne(['2011', '2013', '2019'] as const);
      const w = m.REGISTER_WIDTHS[version];
      const plateColor = pickOne([0, 1, 2, 3, 4, 9]);
      const reg = { province: u16(), city: u16(), makerId: text(w.makerId, 1), model: text(w.model, 1), terminalId: text(w.terminalId, 1), plateColor, plate: text(12, 1, true) };
      const body = m.encode0100(reg, version, { modelPad: pickOne(['left', 'right'] as const) });
      const layout: HeaderLayout = version === '2019' ? '2019' : '2013';
      const got = must(m.decode0100(body, OPTS(layout, { registerVersion: version })));
      const want = { ...reg, plate: plateColor === 0 ? '' : reg.plate, ...(plateColor === 0 ? { vin: reg.plate } : {}), version };
      const { province, city, makerId, model, terminalId, plate, vin } = got;
      return [want, { province, city, makerId, model, terminalId, plateColor: got.plateColor, plate, ...(vin !== undefined ? { vin } : {}), version: got.version }];
    },
  },
  {
    name: '0x8100',
    run: () => {
      const result = int(3) === 0 ? 1 + int(4) : 0;
      const r = { replySerial: u16(), result, ...(result === 0 ? { authCode: text(40, 0, true) } : {}) };
      return [r, must(m.decode8100(m.encode8100(r), OPTS('2013')))];
    },
  },
  {
    name: '0x0102',
    run: () => {
      const layout = layoutOf();
      const a = layout === '2019' ? { authCode: text(60, 0, true), imei: text(15, 1), softwareVersion: text(20, 1) } : { authCode: text(60, 0, true) };
      return [a, must(m.decode0102(m.encode0102(a, layout), OPTS(layout)))];
    },
  },
  ...(['0x8103', '0x0104'] as const).map((name) => ({
    name,
    run: (): [unknown, unknown] => {
      const settings: m.ParamSetting[] = [];
      for (let n = int(30); n > 0; n--) {
        const id = pickOne([0x0001, 0x0013, 0x0031, 0x0084, 0x0032, 0x0110, 0xf001, 0x0055, 0x0083]);
        const type = m.paramType(id);
        const value = type === 'string' ? text(30, 0, true) : type === 'dword' ? u32() : type === 'word' ? u16() : type === 'byte' ? u8() : randomBytes(int(12));
        settings.push({ id, value });
      }
      const want = settings.map((s) => ({ id: s.id, value: typeof s.value === 'object' ? Buffer.from(s.value).toString('hex') : s.value }));
      const view = (params: m.ParamItem[]) => params.map((p) => ({ id: p.id, value: p.value ?? p.raw.toString('hex') }));
      if (name === '0x8103') return [want, view(must(m.decode8103(m.encode8103(settings), OPTS('2013'))).params)];
      const replySerial = u16();
      const got = must(m.decode0104(m.encode0104({ replySerial, params: settings }), OPTS('2013')));
      return [{ replySerial, want }, { replySerial: got.replySerial, want: view(got.params) }];
    },
  })),
  { name: '0x8106', run: () => { const ids = Array.from({ length: int(40) }, u32); return [{ ids }, must(m.decode8106(m.encode8106(ids), OPTS('2013')))]; } },
  ...([5, 11] as const).map((makerIdWidth) => ({
    name: makerIdWidth === 5 ? '0x0107' : '0x0107 2019 with an 11-byte maker id',
    run: (): [unknown, unknown] => {
      const layout = makerIdWidth === 11 ? '2019' : layoutOf();
      const a = {
        terminalType: u16(),
        makerId: text(makerIdWidth, 1),
        model: text(layout === '2019' ? 30 : 20, 1),
        terminalId: text(layout === '2019' ? 30 : 7, 1),
        iccid: Array.from({ length: 20 }, () => int(10)).join(''),
        hardwareVersion: text(20),
        firmwareVersion: text(20),
        gnssModule: u8(),
        commModule: u8(),
      };
      const got = must(m.decode0107(m.encode0107(a, layout, makerIdWidth), OPTS(layout)));
      const { version: _v, makerIdWidth: width, ...fields } = got;
      return [{ ...a, width: makerIdWidth }, { ...fields, width }];
    },
  })),
  {
    name: '0x8202',
    run: () => {
      const r = int(5) === 0 ? { intervalS: 0 } : { intervalS: u16(), validityS: u32() };
      return [r, must(m.decode8202(m.encode8202(r), OPTS('2013')))];
    },
  },
  {
    name: '0x8300',
    run: () => {
      const layout = layoutOf();
      const r = layout === '2019' ? { flag: u8(), type: pickOne([1, 2]), text: text(200, 0, true) } : { flag: u8(), text: text(200, 0, true) };
      return [r, must(m.decode8300(m.encode8300(r, layout), OPTS(layout)))];
    },
  },
  {
    name: '0x0800',
    run: () => {
      const h = { mediaId: u32(), mediaType: u8(), format: u8(), event: u8(), channel: u8() };
      return [h, must(m.decode0800(m.encode0800(h), OPTS('2013')))];
    },
  },
  {
    name: '0x0801',
    run: () => {
      const h = { mediaId: u32(), mediaType: int(3), format: int(5), event: int(8), channel: u8() };
      const time = secondsTime();
      const location = m.encode0200({ latE6: int(90_000_001), lonE6: int(180_000_001), time, altitudeM: u16(), speedRaw: u16(), direction: int(360) });
      const data = randomBytes(int(2000));
      const got = must(m.decode0801(m.encode0801(h, location, data), OPTS('2013')));
      const { location: loc, data: d, ...head } = got;
      return [{ ...h, time, data: data.toString('hex') }, { ...head, time: loc?.time, data: d.toString('hex') }];
    },
  },
  {
    name: '0x8800',
    run: () => {
      const r = { mediaId: u32(), missing: Array.from({ length: int(3) === 0 ? 0 : 1 + int(125) }, () => 1 + int(0xffff)) };
      return [r, must(m.decode8800(m.encode8800(r), OPTS('2013')))];
    },
  },
  ...(['0x0900', '0x8900'] as const).map((name) => ({
    name,
    run: (): [unknown, unknown] => {
      const p = { type: u8(), content: randomBytes(int(900)) };
      const got = must(name === '0x0900' ? m.decode0900(m.encode0900(p), OPTS('2013')) : m.decode8900(m.encode8900(p), OPTS('2013')));
      return [{ type: p.type, content: p.content.toString('hex') }, { type: got.type, content: got.content.toString('hex') }];
    },
  })),
  {
    name: 'header + packet through the splitter',
    run: () => {
      const layout = layoutOf();
      const digits = Array.from({ length: 1 + int(layout === '2019' ? 20 : 12) }, () => int(10)).join('');
      const sub = int(3) === 0;
      const spec: HeaderSpec = {
        msgId: u16(),
        layout,
        phoneBcd: digits,
        serial: u16(),
        protocolVersion: layout === '2019' ? u8() : undefined,
        versionFlag: int(5) === 0 ? layout !== '2019' : layout === '2019', // sometimes the wrong flag (SPEC §4.3)
        encryption: int(8),
        ...(sub ? { packetTotal: 1 + int(0xffff), packetIndex: int(0x10000) } : {}),
      };
      const body = randomBytes(int(0x400));
      const wire = encodePacket(spec, body);
      const frames: Buffer[] = [];
      new FrameSplitter().push(wire, { frame: (f) => frames.push(Buffer.from(f)), error: () => undefined });
      const p = frames.length === 1 ? decodePacket(frames[0]) : undefined;
      if (!p?.ok) return [spec, `no packet (${frames.length} frames)`];
      const h = p.value.header;
      const want = { ...spec, phoneBcd: digits.padStart(layout === '2019' ? 20 : 12, '0'), protocolVersion: spec.protocolVersion ?? null, body: body.toString('hex'), checksumOk: true };
      const got = {
        msgId: h.msgId,
        layout: h.layout,
        phoneBcd: h.phoneBcd,
        serial: h.serial,
        protocolVersion: h.protocolVersion,
        versionFlag: h.versionFlag,
        encryption: h.encryption,
        ...(sub ? { packetTotal: h.packetTotal, packetIndex: h.packetIndex } : {}),
        body: p.value.body.toString('hex'),
        checksumOk: p.value.checksumOk,
      };
      return [want, got];
    },
  },
  {
    name: 'encodeSubpackaged → random order → Reassembler',
    run: () => {
      const body = randomBytes(int(6000));
      const spec: HeaderSpec = { msgId: pickOne([0x0104, 0x0801, 0x0900]), layout: layoutOf(), phoneBcd: '13800138000', serial: u16() };
      const wires = encodeSubpackaged(spec, body, 1 + int(1023));
      const order = wires.map((_w, i) => [rand(), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => wires[i]);
      const r = new Reassembler();
      let got: Buffer | undefined;
      for (const w of order) {
        const un = unescapeFrame(w);
        const p = un.ok ? decodePacket(un.frame) : undefined;
        if (!p?.ok) return [body.length, 'fragment did not decode'];
        if (!p.value.header.subpackage) got = p.value.body;
        else {
          const res = r.add(p.value.header, p.value.body, 0);
          if (res.status === 'complete') got = res.body;
        }
      }
      // 0x0801 fragments that start with the media head are stripped by design (SPEC §8); random bytes
      // almost never do, and when they do the comparison below reports it.
      return [body.toString('hex'), got?.toString('hex')];
    },
  },
];

/** JSON-normal form: undefined keys dropped, key order irrelevant to isDeepStrictEqual. */
const plain = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

t.test(`round trips: ${ROUNDS} random values per message`, async (t) => {
  for (const rt of ROUND_TRIPS) {
    let failures = 0;
    let first = '';
    for (let i = 0; i < ROUNDS; i++) {
      let want: unknown;
      let got: unknown;
      try {
        [want, got] = rt.run();
      } catch (e) {
        want = 'no throw';
        got = (e as Error).message;
      }
      if (!isDeepStrictEqual(plain(want), plain(got))) {
        if (failures++ === 0) first = `want ${JSON.stringify(want).slice(0, 300)}\n got ${JSON.stringify(got).slice(0, 300)}`;
      }
    }
    const msg = `${rt.name}: ${ROUNDS} round trips${failures ? `, ${failures} failed; first: ${first}` : ''}`;
    if (rt.todo) t.equal(failures, 0, msg, { todo: rt.todo });
    else t.equal(failures, 0, msg);
  }
});

t.test('the checksum guards what the fuzzer rewraps', async (t) => {
  // rewrap() must produce frames whose checksum is right, or the body mutators never reach the bodies.
  const f = unescaped(pickOne(corpus.filter((c) => c[0] === 0x7e && c[c.length - 1] === 0x7e)))!;
  const again = unescaped(rewrap(f))!;
  t.equal(again[again.length - 1], xorChecksum(again, 0, again.length - 1));
});
