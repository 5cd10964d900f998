/**
 * Test-vector loader for shared/jt808/vectors/*.json (schema in that folder's README.md) and small hex
 * helpers shared by the jt808 tests.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Header } from '../../protocols/jt808/header.js';
import { encodeGbk } from '../../protocols/jt808/text.js';
import { encode0200 } from '../../protocols/jt808/messages/location.js';

/** Hex text (spaces, `0x`, `:` and case tolerated) → Buffer. Throws on odd length / non-hex (test input). */
export function hexToBuffer(text: string): Buffer {
  const clean = text.replace(/0x/gi, '').replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`not hex: ${text}`);
  return Buffer.from(clean, 'hex');
}

export interface Vector {
  source: string;
  hex: string | null;
  bodyHex?: string;
  version: '2011' | '2013' | '2019';
  msgId: string;
  phone: string | null;
  serial: number | null;
  expect: Record<string, unknown>;
  computed?: Record<string, unknown>;
  tags: string[];
  notes: string;
}

export interface LoadedVector extends Vector {
  /** `<file stem>#<index>`, stable and unique: the key used by the deliberate-difference table. */
  id: string;
  file: string;
}

/** Finds shared/jt808/vectors: beside the repo in CI (`../shared`), or /work/shared on a workstation. */
export function vectorsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.JT808_VECTORS_DIR,
    resolve(here, '../../../shared/jt808/vectors'),
    resolve(here, '../../shared/jt808/vectors'),
    '/work/shared/jt808/vectors',
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error(`shared/jt808/vectors not found (tried ${candidates.filter(Boolean).join(', ')})`);
}

export function loadVectors(dir = vectorsDir()): LoadedVector[] {
  const out: LoadedVector[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const list = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Vector[];
    const stem = file.replace(/\.json$/, '');
    list.forEach((v, i) => out.push({ ...v, id: `${stem}#${i}`, file }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Key mapping: our decoder's output → the vector key names of shared/jt808/vectors/README.md.

/** What a vector decoded to; every field is optional because vectors stop at different stages. */
export interface VectorContext {
  /** Unescaped frame (header + body + checksum). */
  frame?: Buffer;
  /** Error code of unescaping / decodePacket (FRAME_SHORT, LENGTH_MISMATCH, INVALID_ESCAPE ...). */
  frameError?: string;
  header?: Header;
  /** The message body bytes (a fragment's own body for a subpackaged frame). */
  bodyBytes?: Buffer;
  checksumOk?: boolean;
  checksumExpected?: number;
  /** decodeBody's value (with `kind`), or its error code. */
  body?: any;
  bodyError?: string;
  /** Minutes east of UTC the body's times are written in (480 for GMT+8; 0 for 0x8004). */
  timeOffsetMinutes: number;
  /** Stream-splitting vectors: our frames re-escaped to wire hex, and the bytes the source counts as pending. */
  split?: { frames: string[]; pendingBytes: number };
  /** Escape vectors: what our encoder made of `bodyHex`. */
  escaped?: string;
  /** Subpackage vectors: reassembly outcome in wire order and in reverse order. */
  merge?: { partialBeforeLast: boolean; merged: boolean; mergedBody?: Buffer; mergedDecoded?: any };
}

export type Resolved = { value: unknown } | { unmapped: string };

const has = (value: unknown): Resolved => ({ value });
const unmapped = (why: string): Resolved => ({ unmapped: why });

/**
 * The source's decoder error names, by our equivalent outcome. BAD_CHECKSUM is not a code decodePacket
 * returns: a bad XOR is reported as `checksumOk: false` and the gateway's policy decides (SPEC §10.5),
 * where go-jt808 fails with ErrCheckCode. Such a vector is checked as "the codec flags the checksum".
 */
export const SOURCE_ERROR_NAMES: Readonly<Record<string, string>> = {
  BAD_CHECKSUM: 'ErrCheckCode',
  LENGTH_MISMATCH: 'ErrBodyLengthInconsistency',
  FRAME_SHORT: 'ErrHeaderLength2Short',
};

/** `YYYY-MM-DD hh:mm:ss` of an epoch-ms time as written on the wire at `offsetMinutes` (vector time format). */
export function wireTime(ms: number | null | undefined, offsetMinutes: number): string | null {
  if (ms === null || ms === undefined) return null;
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Escapes an unescaped frame back to wire form (test-side inverse of the splitter, no checksum change). */
export function escapeWire(unescaped: Uint8Array): string {
  let out = '7e';
  for (const b of unescaped) out += b === 0x7e ? '7d02' : b === 0x7d ? '7d01' : b.toString(16).padStart(2, '0');
  return `${out}7e`;
}

function hexOf(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

function wordsHex(list: number[]): string {
  return list.map((n) => n.toString(16).padStart(4, '0')).join('');
}

/** Applies a `|transform` suffix of a vector key to our value. */
function transform(value: unknown, how: string): Resolved {
  if (how === "TrimStart('0')") return has(typeof value === 'string' ? value.replace(/^0+/, '') : value);
  if (how === 'TrimStart()') return has(typeof value === 'string' ? value.trimStart() : value);
  if (how === 'null') return has(value === undefined ? null : value);
  if (how === 'absent=0') return has(value === undefined ? 0 : value);
  return unmapped(`transform "${how}" has no equivalent`);
}

/** Resolves one vector key against the decode context. */
export function resolveKey(ctx: VectorContext, fullKey: string): Resolved {
  const bar = fullKey.indexOf('|');
  const key = bar < 0 ? fullKey : fullKey.slice(0, bar);
  const r = resolveBase(ctx, key);
  if (bar < 0 || 'unmapped' in r) return r;
  return transform(r.value, fullKey.slice(bar + 1));
}

function resolveBase(ctx: VectorContext, key: string): Resolved {
  const [group, ...restParts] = key.split('.');
  const rest = restParts.join('.');
  switch (group) {
    case 'header':
      return headerKey(ctx, rest);
    case 'frame':
      return frameKey(ctx, rest);
    case 'decode':
      return decodeKey(ctx, rest);
    case 'body':
      if (ctx.body === undefined) return unmapped(`no body decoded${ctx.bodyError ? ` (${ctx.bodyError})` : ''}`);
      return bodyKey(ctx.body, rest, ctx);
    case 'reassembled':
      if (!ctx.merge?.mergedDecoded) return unmapped('no reassembled body');
      return bodyKey(ctx.merge.mergedDecoded, rest, { ...ctx, bodyBytes: ctx.merge.mergedBody });
    case 'merge':
      return mergeKey(ctx, rest);
    case 'frames':
      if (!ctx.split) return unmapped('not a splitting vector');
      return rest === 'count' ? has(ctx.split.frames.length) : has(ctx.split.frames[Number(rest)]);
    case 'pending':
      return ctx.split && rest === 'bytes' ? has(ctx.split.pendingBytes) : unmapped('not a splitting vector');
    case 'escaped':
      return ctx.escaped === undefined ? unmapped('not an escape vector') : has(ctx.escaped);
    case 'fragment':
      return rest === 'bodyHex' && ctx.bodyBytes ? has(hexOf(ctx.bodyBytes)) : unmapped('no fragment');
    case 'lib':
      return libKey(ctx, rest);
    default:
      return unmapped(`unknown key group "${group}"`);
  }
}

function headerKey(ctx: VectorContext, k: string): Resolved {
  const h = ctx.header;
  if (!h) return unmapped(`no header${ctx.frameError ? ` (${ctx.frameError})` : ''}`);
  const map: Record<string, unknown> = {
    msgId: h.msgId,
    serial: h.serial,
    bodyLength: h.bodyLength,
    encrypt: h.encryption,
    subpackage: h.subpackage,
    versionFlag: h.versionFlag,
    protocolVersion: h.protocolVersion,
    packetTotal: h.subpackage ? h.packetTotal : undefined,
    packetIndex: h.subpackage ? h.packetIndex : undefined,
    bodyProperty: h.bodyProperties,
    phoneBcd: h.phoneBcd,
    // Sources strip leading zeros when they normalise the phone: our canonical terminal id.
    phone: h.terminalId,
  };
  return k in map ? has(map[k]) : unmapped(`header.${k}`);
}

function frameKey(ctx: VectorContext, k: string): Resolved {
  switch (k) {
    case 'checksumOk':
      return ctx.checksumOk === undefined ? unmapped('no packet') : has(ctx.checksumOk);
    case 'checksumExpected':
      return ctx.checksumExpected === undefined ? unmapped('no packet') : has(ctx.checksumExpected);
    case 'unescapedHex':
    case 'unescaped':
      return ctx.frame ? has(ctx.frame.toString('hex')) : unmapped('no frame');
    case 'bodyBytesPresent':
      return ctx.frame && ctx.header ? has(ctx.frame.length - 1 - ctx.header.headerLength) : unmapped('no frame');
    default:
      return unmapped(`frame.${k}`);
  }
}

/** `decode.ok`: the frame unescapes, its header fits and its checksum is right (the body is the caller's). */
function decodeKey(ctx: VectorContext, k: string): Resolved {
  const ours = ctx.frameError ?? (ctx.checksumOk === false ? 'BAD_CHECKSUM' : undefined);
  if (k === 'ok') return has(ours === undefined);
  if (k === 'error') return has(ours === undefined ? undefined : (SOURCE_ERROR_NAMES[ours] ?? ours));
  return unmapped(`decode.${k}`);
}

function mergeKey(ctx: VectorContext, k: string): Resolved {
  const m = ctx.merge;
  if (!m) return unmapped('no reassembly');
  switch (k) {
    case 'beforeLastPacket.bodyIsNull':
      return has(m.partialBeforeLast);
    case 'afterAllPackets.isMerged':
      return has(m.merged);
    case 'afterAllPackets.bodyNotNull':
      return has(m.mergedBody !== undefined && m.mergedBody.length > 0);
    case 'afterAllPackets.paramListNotEmpty':
      return has(Array.isArray(m.mergedDecoded?.params) && m.mergedDecoded.params.length > 0);
    default:
      return unmapped(`merge.${k}`);
  }
}

/** SmallChi's location attach-data buckets: typed items, raw items, truncated tail. */
function libKey(ctx: VectorContext, k: string): Resolved {
  const loc = ctx.body?.kind === 'location' ? ctx.body : undefined;
  if (!loc) return unmapped('lib.* keys only exist for SmallChi 0x0200');
  switch (k) {
    case 'basicLocationAttachData.count':
      return has(TYPED_EXTRA_FIELDS.filter((f) => loc[f] !== undefined).length);
    case 'unknownLocationAttachData.count':
      return has(loc.extras.length);
    case 'exceptionLocationAttachOriginalData.count':
      return has(loc.truncatedExtra ? 1 : 0);
    default:
      return unmapped(`lib.${k}`);
  }
}

/** One field per typed extra item (SPEC §7.9.3): counting defined ones counts typed items. */
const TYPED_EXTRA_FIELDS = [
  'mileageRaw', 'fuelRaw', 'recorderSpeedKmh', 'alarmEventId', 'tirePressure', 'carriageTempC', 'overspeed', 'areaAlarm',
  'routeTime', 'videoAlarm', 'videoSignalLoss', 'videoOcclusion', 'videoStorageFault', 'extSignals', 'ioStatus', 'analog', 'rssi',
  'satellites',
] as const;

const EMPTY_KINDS = new Set(['heartbeat', 'logout', 'timeQuery', 'queryAllParams', 'positionQuery', 'linkTest', 'queryAttributes']);

function bodyKey(b: any, k: string, ctx: VectorContext): Resolved {
  if (k === 'empty') {
    if (ctx.bodyBytes) return has(ctx.bodyBytes.length === 0);
    return EMPTY_KINDS.has(b.kind) ? has(b.extra === undefined) : has(false);
  }
  switch (b.kind) {
    case 'location':
      return locationKey(b, k, ctx.timeOffsetMinutes);
    case 'positionQueryResponse':
      return k === 'replySerial' ? has(b.replySerial) : locationKey(b.location, k, ctx.timeOffsetMinutes);
    case 'batchLocation': {
      if (k === 'count' || k === 'type') return has(b[k]);
      const m = /^items\.(\d+)\.(.+)$/.exec(k);
      if (!m) return unmapped(`body.${k}`);
      const item = b.items[Number(m[1])];
      return item ? locationKey(item, m[2], ctx.timeOffsetMinutes) : has(undefined);
    }
    case 'mediaData': {
      if (k.startsWith('location.')) return b.location ? locationKey(b.location, k.slice(9), ctx.timeOffsetMinutes) : has(undefined);
      if (k === 'packageHex') return has(hexOf(b.data));
      if (k === 'dataLen') return has(b.data.length);
      return pick(b, k, ['mediaId', 'mediaType', 'format', 'event', 'channel']);
    }
    case 'mediaEvent':
      return pick(b, k, ['mediaId', 'mediaType', 'format', 'event', 'channel']);
    case 'mediaResponse':
      if (k === 'count') return has(b.missing.length);
      if (k === 'ids') return has(b.missing.length === 0 ? undefined : b.missing);
      if (k === 'idsBytes') return has(wordsHex(b.missing));
      return pick(b, k, ['mediaId', 'replySerial']);
    case 'platformResendRequest':
    case 'terminalResendRequest':
      if (k === 'originalSerial') return has(b.firstSerial);
      if (k === 'count') return has(b.indexes.length);
      if (k === 'ids') return has(b.indexes);
      if (k === 'idsBytes') return has(wordsHex(b.indexes));
      return unmapped(`body.${k}`);
    case 'terminalResponse':
    case 'platformResponse':
      return pick(b, k, ['replySerial', 'replyMsgId', 'result']);
    case 'registerResponse':
      return pick(b, k, ['replySerial', 'result', 'authCode']);
    case 'register':
      return pick(b, k, ['province', 'city', 'makerId', 'model', 'terminalId', 'plateColor', 'plate', 'vin']);
    case 'authenticate':
      if (k === 'authCodeLength') return has(encodeGbk(b.authCode).length);
      return pick(b, k, ['authCode', 'imei', 'softwareVersion']);
    case 'setParams':
    case 'paramsResponse': {
      if (k === 'count' || k === 'replySerial') return has(b[k]);
      const m = /^param\.(0x[0-9a-fA-F]+)\.(len|raw|value)$/.exec(k);
      if (!m) return unmapped(`body.${k}`);
      const p = b.params.find((x: { id: number }) => x.id === parseInt(m[1], 16));
      if (!p) return has(undefined);
      return has(m[2] === 'raw' ? hexOf(p.raw) : p[m[2]]);
    }
    case 'queryParams':
      return k === 'ids' ? has(b.ids) : k === 'count' ? has(b.ids.length) : unmapped(`body.${k}`);
    case 'textMessage':
      if (k === 'textType') return has(b.type);
      return pick(b, k, ['flag', 'text']);
    case 'uplinkPassThrough':
    case 'downlinkPassThrough':
      if (k === 'content') return has(hexOf(b.content));
      if (k === 'contentText') return has(b.content.toString('latin1'));
      return pick(b, k, ['type']);
    case 'temporaryTracking':
      if (k === 'interval') return has(b.intervalS);
      if (k === 'validity') return has(b.validityS);
      return unmapped(`body.${k}`);
    case 'serverTime':
      return k === 'time' ? has(wireTime(b.time, 0)) : unmapped(`body.${k}`);
    default:
      return unmapped(`body.${k} for kind ${b.kind}`);
  }
}

function pick(b: any, k: string, allowed: string[]): Resolved {
  return allowed.includes(k) ? has(b[k]) : unmapped(`body.${k} for kind ${b.kind}`);
}

/** Wire length of each typed extra item, when its field is present. */
const TYPED_LENGTH: Record<number, (loc: any) => number | undefined> = {
  0x01: (l) => (l.mileageRaw === undefined ? undefined : 4),
  0x02: (l) => (l.fuelRaw === undefined ? undefined : 2),
  0x03: (l) => (l.recorderSpeedKmh === undefined ? undefined : 2),
  0x04: (l) => (l.alarmEventId === undefined ? undefined : 2),
  0x05: (l) => l.tirePressure?.length,
  0x06: (l) => (l.carriageTempC === undefined ? undefined : 2),
  0x11: (l) => (l.overspeed === undefined ? undefined : l.overspeed.areaId === undefined ? 1 : 5),
  0x12: (l) => (l.areaAlarm === undefined ? undefined : 6),
  0x13: (l) => (l.routeTime === undefined ? undefined : 7),
  0x25: (l) => (l.extSignals === undefined ? undefined : 4),
  0x2a: (l) => (l.ioStatus === undefined ? undefined : 2),
  0x2b: (l) => (l.analog === undefined ? undefined : 4),
  0x30: (l) => (l.rssi === undefined ? undefined : 1),
  0x31: (l) => (l.satellites === undefined ? undefined : 1),
};

function locationKey(loc: any, k: string, offsetMinutes: number): Resolved {
  const basic: Record<string, () => unknown> = {
    alarm: () => loc.alarm,
    status: () => loc.status,
    latRaw: () => Math.abs(loc.latE6),
    lonRaw: () => Math.abs(loc.lonE6),
    lat: () => loc.lat,
    lon: () => loc.lon,
    altitude: () => loc.altitudeM,
    speedRaw: () => loc.speedRaw,
    direction: () => loc.direction,
    time: () => wireTime(loc.time, offsetMinutes),
    acc: () => loc.acc,
    positioned: () => loc.positioned,
    south: () => (loc.status & 4) !== 0,
    west: () => (loc.status & 8) !== 0,
    length: () => encode0200(loc).length, // the body length of the item, re-encoded byte-exact
  };
  if (k in basic) return has(basic[k]());
  const m = /^extra\.(0x[0-9a-fA-F]{2})\.(\w+)$/.exec(k);
  if (!m) return unmapped(`location key ${k}`);
  return extraKey(loc, parseInt(m[1], 16), m[2]);
}

function extraKey(loc: any, id: number, field: string): Resolved {
  const raw = loc.extras.find((x: { id: number }) => x.id === id);
  const typedLen = TYPED_LENGTH[id]?.(loc);
  if (field === 'len') return has(typedLen ?? raw?.len);
  const typed: Record<string, () => unknown> = {
    '1.mileageRaw': () => loc.mileageRaw,
    '2.fuelRaw': () => loc.fuelRaw,
    '3.recorderSpeedRaw': () => (loc.recorderSpeedKmh === undefined ? undefined : Math.round(loc.recorderSpeedKmh * 10)),
    '4.alarmEventId': () => loc.alarmEventId,
    '5.raw': () => hexOf(loc.tirePressure),
    // 0x06: `value` is the WORD as sent; `carriageTempSigned` the signed reading (sign-magnitude per the text).
    '6.value': () => (loc.carriageTempC === undefined ? undefined : loc.carriageTempC < 0 ? 0x8000 | -loc.carriageTempC : loc.carriageTempC),
    '6.carriageTempSigned': () => loc.carriageTempC,
    '17.posType': () => loc.overspeed?.locationType,
    '17.areaId': () => loc.overspeed?.areaId,
    '18.posType': () => loc.areaAlarm?.locationType,
    '18.areaId': () => loc.areaAlarm?.areaId,
    '18.dir': () => loc.areaAlarm?.direction,
    '19.routeId': () => loc.routeTime?.sectionId,
    '19.seconds': () => loc.routeTime?.seconds,
    '19.result': () => loc.routeTime?.result,
    '37.extSignals': () => loc.extSignals,
    '42.io': () => loc.ioStatus,
    '43.raw': () => (loc.analog === undefined ? undefined : wordsHex([loc.analog.ad1, loc.analog.ad0])),
    '43.ad0': () => loc.analog?.ad0,
    '43.ad1': () => loc.analog?.ad1,
    '48.rssi': () => loc.rssi,
    '49.satellites': () => loc.satellites,
  };
  const f = typed[`${id}.${field}`];
  if (f && (typedLen !== undefined || !raw)) return has(f());
  // Kept raw (unknown id, vendor length, duplicate): only len/raw are meaningful.
  if (field === 'raw') return has(hexOf(raw?.raw));
  return raw ? unmapped(`extra 0x${id.toString(16)} kept raw (len ${raw.len}), no typed ${field}`) : has(undefined);
}
