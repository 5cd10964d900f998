// Every vector of shared/jt808/vectors/*.json (schema: that folder's README.md), decoded by our codec
// and compared key by key: `expect` (what the source asserts) and `computed` (an independent reference
// decoder's reading). Messages with an encoder are re-encoded and compared byte for byte.
// A key or vector we deliberately do not follow is listed in DELIBERATE with its reason: no silent skip.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { unescapeFrame, wrapFrame, FrameSplitter } from '../../../protocols/jt808/framing.js';
import { decodeHeader, type Header, type HeaderSpec } from '../../../protocols/jt808/header.js';
import { decodePacket, encodePacket } from '../../../protocols/jt808/packet.js';
import { Reassembler } from '../../../protocols/jt808/subpackage.js';
import {
  decodeBody,
  encode0001,
  encode0002,
  encode0100,
  encode0102,
  encode0104,
  encode0107,
  encode0200,
  encode0201,
  encode0704,
  encode0800,
  encode0801,
  encode0900,
  encode8001,
  encode8003,
  encode0005,
  encode8004,
  encode8100,
  encode8103,
  encode8106,
  encode8202,
  encode8300,
  encode8800,
  encode8900,
  encodeEmpty,
} from '../../../protocols/jt808/messages/index.js';
import { escapeWire, hexToBuffer, loadVectors, resolveKey, type LoadedVector, type VectorContext } from '../../helpers/vectors.js';

const UTC_OFFSET = 480; // every vector's times are GMT+8 except 0x8004 (UTC, SPEC §5.1)

interface Deliberate {
  /** `<file stem>#<index>`; `msgId` guards against a reordered vector file. */
  id: string;
  msgId: string;
  /** A key of `expect`/`computed`, or '*' for the whole vector. */
  key: string;
  reason: string;
}

/** Vectors and keys the codec deliberately does not follow. Each entry is checked to still differ. */
const DELIBERATE: Deliberate[] = [
  {
    id: 'smallchi-jt808#37',
    msgId: '0x0200',
    key: 'body.lat|signed',
    reason: 'SmallChi writes negative coordinates as two\'s-complement DWORDs (SPEC §10.8, §11); we read unsigned + status bits 2/3 and flag raw > 90e6 as coordinatesValid=false',
  },
  {
    id: 'smallchi-jt808#37',
    msgId: '0x0200',
    key: 'body.lon|signed',
    reason: 'signed longitude, same disagreement as body.lat|signed',
  },
];

// ---------------------------------------------------------------------------------------------------
// Decoding a vector into a context.

function syntheticHeader(v: LoadedVector, bodyLength: number): Header {
  const is2019 = v.version === '2019';
  return {
    msgId: parseInt(v.msgId, 16),
    bodyProperties: bodyLength | (is2019 ? 0x4000 : 0),
    bodyLength,
    encryption: 0,
    subpackage: false,
    versionFlag: is2019,
    layout: is2019 ? '2019' : '2013',
    protocolVersion: is2019 ? 1 : null,
    phoneBcd: is2019 ? '00000000000000000000' : '000000000000',
    terminalId: '0',
    serial: 0,
    packetTotal: 0,
    packetIndex: 0,
    headerLength: is2019 ? 17 : 12,
  };
}

function decodeBodyInto(ctx: VectorContext, header: Header, body: Buffer): void {
  const r = decodeBody(header, body, { utcOffsetMinutes: UTC_OFFSET });
  if (r.ok) ctx.body = r.value;
  else ctx.bodyError = `${r.code} at ${r.offset}${r.detail ? `: ${r.detail}` : ''}`;
}

function decodeWire(ctx: VectorContext, wire: Buffer): void {
  const un = unescapeFrame(wire);
  if (!un.ok) {
    ctx.frameError = un.code;
    return;
  }
  ctx.frame = un.frame;
  const p = decodePacket(un.frame);
  if (!p.ok) {
    ctx.frameError = p.code;
    if ('header' in p && p.header) ctx.header = p.header;
    return;
  }
  ctx.header = p.value.header;
  ctx.bodyBytes = p.value.body;
  ctx.checksumOk = p.value.checksumOk;
  ctx.checksumExpected = p.value.checksumExpected;
  const h = p.value.header;
  // A fragment's body is not a message (SPEC §8) except for the head that fragment 1 carries.
  if (!h.subpackage || h.packetIndex === 1) decodeBodyInto(ctx, h, p.value.body);
}

/** Fragments of the same message among all vectors (same file, phone, id, total), reassembled both ways. */
function mergeSiblings(ctx: VectorContext, v: LoadedVector, all: LoadedVector[]): void {
  const h = ctx.header!;
  const parts: { header: Header; body: Buffer }[] = [];
  for (const o of all) {
    if (o.file !== v.file || !o.hex || !o.tags.includes('subpackage')) continue;
    const un = unescapeFrame(hexToBuffer(o.hex));
    if (!un.ok) continue;
    const p = decodePacket(un.frame);
    if (!p.ok) continue;
    const oh = p.value.header;
    if (oh.terminalId === h.terminalId && oh.msgId === h.msgId && oh.packetTotal === h.packetTotal) parts.push({ header: oh, body: Buffer.from(p.value.body) });
  }
  if (parts.length < 2) return;
  let partialBeforeLast = true;
  let merged = true;
  let mergedBody: Buffer | undefined;
  for (const order of [parts, [...parts].reverse()]) {
    const r = new Reassembler();
    let last;
    for (let i = 0; i < order.length; i++) {
      last = r.add(order[i].header, order[i].body, 0);
      if (i < order.length - 1 && last.status !== 'partial') partialBeforeLast = false;
    }
    if (last?.status !== 'complete') merged = false;
    else if (mergedBody === undefined) mergedBody = last.body;
    else if (!mergedBody.equals(last.body)) merged = false;
  }
  ctx.merge = { partialBeforeLast, merged, mergedBody };
  if (mergedBody) {
    const r = decodeBody({ ...h, subpackage: false, packetTotal: 0, packetIndex: 0 }, mergedBody, { utcOffsetMinutes: UTC_OFFSET });
    if (r.ok) ctx.merge.mergedDecoded = r.value;
  }
}

function splitStream(ctx: VectorContext, bytes: Buffer): void {
  const s = new FrameSplitter();
  const frames: string[] = [];
  s.push(bytes, { frame: (f) => frames.push(escapeWire(f)), error: (code) => frames.push(`error:${code}`) });
  // go-jt808 counts the opening 0x7e of a half frame among the pending bytes; our splitter does not keep it.
  ctx.split = { frames, pendingBytes: s.bufferedBytes > 0 ? s.bufferedBytes + 1 : 0 };
}

function contextFor(v: LoadedVector, all: LoadedVector[]): VectorContext {
  const ctx: VectorContext = { timeOffsetMinutes: v.msgId === '0x8004' ? 0 : UTC_OFFSET };
  const keys = Object.keys(v.expect);
  if (v.hex) {
    decodeWire(ctx, hexToBuffer(v.hex));
    if (ctx.header?.subpackage) mergeSiblings(ctx, v, all);
    return ctx;
  }
  const bytes = hexToBuffer(v.bodyHex ?? '');
  if (keys.some((k) => k.startsWith('frames.'))) splitStream(ctx, bytes);
  else if ('escaped' in v.expect) {
    // The input is header+body+checksum: our wrapFrame escapes header+body; the given checksum byte
    // (illustrative, not the XOR) is escaped the same way by the test helper.
    const head = wrapFrame(bytes.subarray(0, bytes.length - 1));
    const sumWidth = head[head.length - 3] === 0x7d ? 3 : 2;
    const last = escapeWire(bytes.subarray(bytes.length - 1)).slice(2);
    ctx.escaped = head.subarray(0, head.length - sumWidth).toString('hex') + last;
  } else if (v.tags.includes('header-only')) {
    const props = bytes.readUInt16BE(2);
    const frame = Buffer.concat([bytes, Buffer.alloc((props & 0x3ff) + 1)]);
    const h = decodeHeader(frame);
    if (h.ok) ctx.header = h.value;
    else ctx.frameError = h.code;
  } else if (v.tags.includes('body-only')) {
    ctx.bodyBytes = bytes;
    decodeBodyInto(ctx, syntheticHeader(v, bytes.length), bytes);
  } else {
    decodeWire(ctx, bytes);
  }
  return ctx;
}

// ---------------------------------------------------------------------------------------------------
// Re-encoding: the body our encoder makes from the decoded value.

function reencode(b: any, h: Header): Buffer | undefined {
  switch (b.kind) {
    case 'terminalResponse':
      return encode0001(b);
    case 'platformResponse':
      return encode8001(b);
    case 'heartbeat':
      return encode0002(b.extra);
    case 'logout':
    case 'timeQuery':
    case 'queryAllParams':
    case 'positionQuery':
    case 'linkTest':
    case 'queryAttributes':
      return b.extra === undefined ? encodeEmpty() : undefined;
    case 'serverTime':
      return encode8004(b.time);
    case 'platformResendRequest':
      return encode8003(b, h.layout);
    case 'terminalResendRequest':
      return encode0005(b, h.layout);
    case 'register':
      // Reproduce the padding side the terminal used for the model (SPEC §5.2: it varies).
      return encode0100(b, b.version, { modelPad: b.raw.model[0] === 0 ? 'left' : 'right' });
    case 'registerResponse':
      return encode8100(b);
    case 'authenticate':
      return encode0102(b, h.layout);
    case 'setParams':
      return encode8103(b.params.map((p: { id: number; raw: Buffer }) => ({ id: p.id, value: p.raw })));
    case 'paramsResponse':
      return encode0104({ replySerial: b.replySerial, params: b.params.map((p: { id: number; raw: Buffer }) => ({ id: p.id, value: p.raw })) });
    case 'queryParams':
      return encode8106(b.ids);
    case 'attributes':
      return encode0107(b, h.layout, b.makerIdWidth);
    case 'location':
      return encode0200(b);
    case 'positionQueryResponse':
      return encode0201(b.replySerial, b.location);
    case 'batchLocation':
      return encode0704(b);
    case 'temporaryTracking':
      return encode8202(b);
    case 'textMessage':
      return encode8300(b, h.layout);
    case 'mediaEvent':
      return b.extra === undefined ? encode0800(b) : undefined;
    case 'mediaData':
      return b.location ? encode0801(b, encode0200(b.location), b.data) : undefined;
    case 'mediaResponse':
      return encode8800(b);
    case 'uplinkPassThrough':
      return encode0900(b);
    case 'downlinkPassThrough':
      return encode8900(b);
    default:
      return undefined;
  }
}

function specOf(h: Header): HeaderSpec {
  return {
    msgId: h.msgId,
    layout: h.layout,
    phoneBcd: h.phoneBcd,
    serial: h.serial,
    protocolVersion: h.protocolVersion ?? undefined,
    versionFlag: h.versionFlag,
    encryption: h.encryption,
    packetTotal: h.subpackage ? h.packetTotal : undefined,
    packetIndex: h.subpackage ? h.packetIndex : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------
// Comparison.

function same(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string' && typeof actual === 'number' && /^0x[0-9a-f]+$/i.test(expected)) return parseInt(expected, 16) === actual;
  if (typeof expected === 'string' && typeof actual === 'string' && /^[0-9a-f]+$/i.test(expected)) return expected.toLowerCase() === actual.toLowerCase();
  if (expected === null && actual === undefined) return true;
  return isDeepStrictEqual(expected, actual);
}

function show(v: unknown): string {
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

const vectors = loadVectors();
const counts = { vectors: vectors.length, expectKeys: 0, computedKeys: 0, reencoded: 0, framesReencoded: 0, deliberateKeys: 0, deliberateVectors: 0, truncations: 0 };
const accounted = new Set<string>();

t.test('the vector files are there', async (t) => {
  t.ok(vectors.length >= 81, `${vectors.length} vectors loaded`);
  for (const d of DELIBERATE) {
    const v = vectors.find((x) => x.id === d.id);
    t.ok(v, `DELIBERATE entry ${d.id} names an existing vector`);
    if (v) t.equal(v.msgId, d.msgId, `${d.id} is still the ${d.msgId} vector`);
    t.ok(d.reason.length > 10, `${d.id} ${d.key} has a reason`);
  }
});

for (const v of vectors) {
  t.test(`${v.id} ${v.msgId} ${v.version} [${v.tags.join(',')}]`, async (t) => {
    const ctx = contextFor(v, vectors);
    const whole = DELIBERATE.find((d) => d.id === v.id && d.key === '*');
    if (whole) {
      counts.deliberateVectors++;
      accounted.add(v.id);
      t.comment(`deliberately different: ${whole.reason}`);
      return;
    }
    let checked = 0;
    for (const [source, table] of [['expect', v.expect], ['computed', v.computed ?? {}]] as const) {
      for (const [key, expected] of Object.entries(table)) {
        const r = resolveKey(ctx, key);
        const deliberate = DELIBERATE.find((d) => d.id === v.id && d.key === key);
        if (deliberate) {
          counts.deliberateKeys++;
          if ('value' in r) t.notOk(same(expected, r.value), `${source} ${key}: listed as deliberately different, and still is (${show(r.value)})`);
          continue;
        }
        if ('unmapped' in r) {
          t.fail(`${source} ${key}: no mapping (${r.unmapped}) and not listed in DELIBERATE`);
          continue;
        }
        t.ok(same(expected, r.value), `${source} ${key}: expected ${show(expected)}, got ${show(r.value)}`);
        if (source === 'expect') counts.expectKeys++;
        else counts.computedKeys++;
        checked++;
      }
    }

    // Re-encode: the body from our encoder equals the bytes, and the whole frame when it is canonical.
    if (ctx.body && ctx.bodyBytes && !(ctx.header?.subpackage ?? false)) {
      const header = ctx.header ?? syntheticHeader(v, ctx.bodyBytes.length);
      const body = reencode(ctx.body, header);
      if (body) {
        t.equal(body.toString('hex'), ctx.bodyBytes.toString('hex'), `re-encoded ${ctx.body.kind} body is byte-exact`);
        counts.reencoded++;
        checked++;
        if (v.hex && ctx.header && ctx.checksumOk && ctx.frame && escapeWire(ctx.frame) === v.hex.toLowerCase()) {
          t.equal(encodePacket(specOf(ctx.header), body).toString('hex'), v.hex.toLowerCase(), 're-encoded frame is byte-exact');
          counts.framesReencoded++;
        }
      } else if (v.tags.includes('encoder')) {
        t.fail(`the source asserts an encoding but we have no encoder for ${ctx.body.kind}`);
      }
    } else if (v.tags.includes('encoder') && !ctx.escaped) {
      t.fail(`the source asserts an encoding but the body did not decode (${ctx.bodyError ?? 'no body'})`);
    }

    // Every truncation of the body decodes to a value or an error value, never a throw.
    if (ctx.bodyBytes && ctx.header && !ctx.header.subpackage) {
      let thrown = '';
      for (let n = 0; n < ctx.bodyBytes.length; n++) {
        try {
          const r = decodeBody(ctx.header, ctx.bodyBytes.subarray(0, n), { utcOffsetMinutes: UTC_OFFSET });
          if (typeof r.ok !== 'boolean') thrown ||= `no result at ${n}`;
        } catch (e) {
          thrown ||= `threw at ${n}: ${(e as Error).message}`;
        }
      }
      t.equal(thrown, '', `all ${ctx.bodyBytes.length} truncations of the body give a result`);
      counts.truncations += ctx.bodyBytes.length;
    }

    // An escape vector also checks the inverse with our unescaper.
    if (ctx.escaped !== undefined) {
      const back = unescapeFrame(hexToBuffer(String(v.expect.escaped)));
      t.ok(back.ok && back.frame.toString('hex') === v.bodyHex?.toLowerCase(), 'unescaping the expected wire gives the input back');
    }

    t.ok(checked > 0 || DELIBERATE.some((d) => d.id === v.id), 'the vector was checked or listed with a reason');
    if (checked > 0) accounted.add(v.id);
  });
}

t.test('every vector was checked or listed with a reason', async (t) => {
  const missing = vectors.filter((v) => !accounted.has(v.id) && !DELIBERATE.some((d) => d.id === v.id)).map((v) => v.id);
  t.same(missing, [], 'no vector left out');
  const keys = counts.expectKeys + counts.computedKeys;
  t.comment(
    `vectors: ${counts.vectors} (${accounted.size} checked, ${counts.deliberateVectors} deliberately different as a whole); ` +
      `keys compared: ${keys} (${counts.expectKeys} asserted by the sources, ${counts.computedKeys} computed); ` +
      `deliberately different keys: ${counts.deliberateKeys}; bodies re-encoded byte-exact: ${counts.reencoded} (${counts.framesReencoded} whole frames); body truncations tried: ${counts.truncations}`,
  );
  for (const d of DELIBERATE) t.comment(`deliberate: ${d.id} ${d.key}: ${d.reason}`);
});
