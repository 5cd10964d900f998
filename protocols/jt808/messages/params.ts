/**
 * Terminal parameters: SPEC §7.8 — 0x8103 set, 0x8104 query all (empty), 0x8106 query given ids,
 * 0x0104 query response. Pitfall §10.11: a multi-valued parameter repeats its id, so items are a
 * list, never a map.
 *
 * Items are parsed by their length byte, never by an assumed type (traccar PR #5997). A typed `value`
 * is added only when the length matches the type of the parameter table; `raw` is always kept.
 * Decoded Buffers are copies.
 */
import { decodeGbk, encodeGbk } from '../text.js';
import { fail, ok, type DecodeResult } from '../errors.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

export type ParamType = 'dword' | 'word' | 'byte' | 'string';

const WIDTH: Record<Exclude<ParamType, 'string'>, number> = { dword: 4, word: 2, byte: 1 };

/**
 * The parameter table of SPEC §7.8 as [first id, last id, type]. Ranges the SPEC gives as raw bytes
 * (0x0032 BYTE[4], JT/T 1078 0x0075–0x007C, CAN 0x0110–0x01FF) and user ids stay untyped.
 * 0x001A–0x001D (IC-card auth server: address, TCP port, UDP port, backup address) follow the vectors.
 */
const PARAM_TABLE: ReadonlyArray<readonly [number, number, ParamType]> = [
  [0x0001, 0x0007, 'dword'],
  [0x0010, 0x0017, 'string'],
  [0x0018, 0x0019, 'dword'],
  [0x001a, 0x001a, 'string'],
  [0x001b, 0x001c, 'dword'],
  [0x001d, 0x001d, 'string'],
  [0x0020, 0x0022, 'dword'],
  [0x0023, 0x0026, 'string'],
  [0x0027, 0x0029, 'dword'],
  [0x002c, 0x0030, 'dword'],
  [0x0031, 0x0031, 'word'],
  [0x0040, 0x0044, 'string'],
  [0x0045, 0x0047, 'dword'],
  [0x0048, 0x0049, 'string'],
  [0x0050, 0x005a, 'dword'],
  [0x005b, 0x005e, 'word'],
  [0x0064, 0x0065, 'dword'],
  [0x0070, 0x0074, 'dword'],
  [0x0080, 0x0080, 'dword'],
  [0x0081, 0x0082, 'word'],
  [0x0083, 0x0083, 'string'],
  [0x0084, 0x0084, 'byte'],
  [0x0090, 0x0092, 'byte'],
  [0x0093, 0x0093, 'dword'],
  [0x0094, 0x0094, 'byte'],
  [0x0095, 0x0095, 'dword'],
  [0x0100, 0x0100, 'dword'],
  [0x0101, 0x0101, 'word'],
  [0x0102, 0x0102, 'dword'],
  [0x0103, 0x0103, 'word'],
];

/** The standard type of a parameter id, or undefined when it has none (raw bytes only). */
export function paramType(id: number): ParamType | undefined {
  for (const [from, to, type] of PARAM_TABLE) if (id >= from && id <= to) return type;
  return undefined;
}

/** One decoded parameter item. */
export interface ParamItem {
  id: number;
  len: number;
  /** The value bytes (a copy). */
  raw: Buffer;
  /** Typed per the table when the length fits the type; absent otherwise. */
  value?: number | string;
}

/** One parameter to encode: a Buffer is written as is (required for ids without a type). */
export interface ParamSetting {
  id: number;
  value: number | string | Uint8Array;
}

/** 0x8103 set parameters. */
export interface SetParams {
  count: number;
  params: ParamItem[];
  extra?: Buffer;
}

/** 0x0104 parameter query response. */
export interface ParamQueryResponse {
  replySerial: number;
  count: number;
  params: ParamItem[];
  extra?: Buffer;
}

/** 0x8106 query given parameters. */
export interface QueryParams {
  ids: number[];
  extra?: Buffer;
}

function typedValue(id: number, raw: Buffer): number | string | undefined {
  const type = paramType(id);
  if (type === undefined) return undefined;
  if (type === 'string') return decodeGbk(raw, 0, raw.length);
  if (raw.length !== WIDTH[type]) return undefined; // dispatch on (id, length), SPEC §7.9.3 rule
  return raw.readUIntBE(0, raw.length);
}

/** Reads `count` items `DWORD id, BYTE len, value[len]` from `at`; never past the body. */
function readItems(body: Buffer, at: number, count: number): DecodeResult<{ params: ParamItem[]; end: number }> {
  const params: ParamItem[] = [];
  let p = at;
  for (let i = 0; i < count; i++) {
    if (p + 5 > body.length) return fail('BODY_SHORT', p, `parameter ${i + 1} of ${count}`);
    const id = body.readUInt32BE(p);
    const len = body[p + 4];
    if (p + 5 + len > body.length) return fail('BODY_SHORT', p + 5, `parameter 0x${id.toString(16)} value of ${len} bytes`);
    const raw = Buffer.from(body.subarray(p + 5, p + 5 + len));
    const value = typedValue(id, raw);
    params.push(value === undefined ? { id, len, raw } : { id, len, raw, value });
    p += 5 + len;
  }
  return ok({ params, end: p });
}

function valueBytes(s: ParamSetting): Buffer {
  if (typeof s.value !== 'number' && typeof s.value !== 'string') return Buffer.from(s.value);
  const type = paramType(s.id);
  const hex = `0x${s.id.toString(16).padStart(4, '0')}`;
  if (type === undefined) throw new RangeError(`parameter ${hex} has no standard type: give its raw bytes`);
  if (typeof s.value === 'string') {
    if (type !== 'string') throw new RangeError(`parameter ${hex} is a ${type}, got a string`);
    return encodeGbk(s.value);
  }
  if (type === 'string') throw new RangeError(`parameter ${hex} is a string, got a number`);
  const out = Buffer.allocUnsafe(WIDTH[type]);
  out.writeUIntBE(s.value, 0, out.length);
  return out;
}

function encodeItems(items: readonly ParamSetting[]): Buffer[] {
  if (items.length > 255) throw new RangeError(`${items.length} parameters exceed the count byte (255)`);
  return items.map((s) => {
    const value = valueBytes(s);
    if (value.length > 255) throw new RangeError(`parameter 0x${s.id.toString(16)} value of ${value.length} bytes exceeds 255`);
    const head = Buffer.allocUnsafe(5);
    head.writeUInt32BE(s.id, 0);
    head[4] = value.length;
    return Buffer.concat([head, value]);
  });
}

function withExtra<T extends object>(value: T, body: Buffer, end: number): T & { extra?: Buffer } {
  return body.length > end ? { ...value, extra: Buffer.from(body.subarray(end)) } : value;
}

/** 0x8103 set parameters (body may exceed 1023 bytes: subpackage it). */
export function encode8103(items: readonly ParamSetting[]): Buffer {
  return Buffer.concat([Buffer.from([items.length]), ...encodeItems(items)]);
}

/** 0x8103 set parameters. */
export function decode8103(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<SetParams> {
  if (body.length < 1) return fail('BODY_SHORT', 0, 'count');
  const r = readItems(body, 1, body[0]);
  if (!r.ok) return r;
  return ok(withExtra({ count: body[0], params: r.value.params }, body, r.value.end));
}

/** 0x8104 query all parameters: empty body. */
export function encode8104(): Buffer {
  return Buffer.alloc(0);
}

/** 0x8106 query given parameters: `BYTE n, DWORD id × n` (2013+). */
export function encode8106(ids: readonly number[]): Buffer {
  if (ids.length > 255) throw new RangeError(`${ids.length} ids exceed the count byte (255)`);
  const out = Buffer.allocUnsafe(1 + 4 * ids.length);
  out[0] = ids.length;
  ids.forEach((id, i) => out.writeUInt32BE(id, 1 + 4 * i));
  return out;
}

/** 0x8106 query given parameters. */
export function decode8106(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<QueryParams> {
  if (body.length < 1) return fail('BODY_SHORT', 0, 'count');
  const n = body[0];
  const end = 1 + 4 * n;
  if (body.length < end) return fail('BODY_SHORT', body.length, `${n} ids declared`);
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = body.readUInt32BE(1 + 4 * i);
  return ok(withExtra({ ids }, body, end));
}

/** 0x0104 parameter query response (often subpackaged: decode the reassembled body). */
export function decode0104(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<ParamQueryResponse> {
  if (body.length < 2) return fail('BODY_SHORT', 0, 'reply serial');
  if (body.length < 3) return fail('BODY_SHORT', 2, 'count');
  const count = body[2];
  const r = readItems(body, 3, count);
  if (!r.ok) return r;
  return ok(withExtra({ replySerial: body.readUInt16BE(0), count, params: r.value.params }, body, r.value.end));
}

/** 0x0104 parameter query response (simulator side). */
export function encode0104(r: { replySerial: number; params: readonly ParamSetting[] }): Buffer {
  const head = Buffer.allocUnsafe(3);
  head.writeUInt16BE(r.replySerial, 0);
  head[2] = r.params.length;
  return Buffer.concat([head, ...encodeItems(r.params)]);
}
