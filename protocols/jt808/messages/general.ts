/**
 * General responses, empty bodies, server time and fragment resend requests.
 * SPEC §7.1 (0x0001 / 0x8001), §7.2 (empty bodies: 0x0002 0x0003 0x0004 0x8104 0x8201 0x8204),
 * §7.3 + §5.1 (0x8004 server time, **UTC**), §7.4 (0x8003 / 0x0005 resend request).
 *
 * Decoded Buffers (`extra`) are copies: the body handed in may be a view of the splitter's scratch.
 */
import { readBcdTime, writeBcdTime } from '../bcd.js';
import { fail, ok, type DecodeResult } from '../errors.js';
import type { HeaderLayout } from '../header.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

/** Result codes of 0x0001 (0–3) and 0x8001 (0–4), SPEC §7.1. */
export const GeneralResult = {
  success: 0,
  failure: 1,
  messageError: 2,
  unsupported: 3,
  /** 0x8001 only: alarm handling confirmed. */
  alarmConfirmed: 4,
} as const;

/** Body of 0x0001 and 0x8001. */
export interface GeneralResponse {
  /** Serial of the message being answered. */
  replySerial: number;
  /** Id of the message being answered. */
  replyMsgId: number;
  result: number;
  /** Bytes after the 5 defined ones (not in the standard; kept, not dropped). */
  extra?: Buffer;
}

/** An empty-bodied message; `extra` holds vendor bytes (e.g. 3 heartbeat bytes, SPEC §7.2). */
export interface EmptyBody {
  extra?: Buffer;
}

/** 0x8004 server time. */
export interface ServerTime {
  /** Epoch ms; the field is UTC on the wire (SPEC §5.1). */
  time: number;
  extra?: Buffer;
}

/** 0x8003 (platform asks) / 0x0005 (terminal asks) resend of fragments (SPEC §7.4). */
export interface ResendRequest {
  /** Serial of the first fragment of the original message. */
  firstSerial: number;
  /** 1-based fragment indexes to resend. */
  indexes: number[];
  extra?: Buffer;
}

function trailing(body: Buffer, end: number): { extra?: Buffer } {
  return body.length > end ? { extra: Buffer.from(body.subarray(end)) } : {};
}

function decodeGeneralResponse(body: Buffer): DecodeResult<GeneralResponse> {
  if (body.length < 2) return fail('BODY_SHORT', 0, 'reply serial');
  if (body.length < 4) return fail('BODY_SHORT', 2, 'reply message id');
  if (body.length < 5) return fail('BODY_SHORT', 4, 'result');
  return ok({
    replySerial: body.readUInt16BE(0),
    replyMsgId: body.readUInt16BE(2),
    result: body[4],
    ...trailing(body, 5),
  });
}

function encodeGeneralResponse(r: GeneralResponse, maxResult: number): Buffer {
  if (r.result > maxResult) throw new RangeError(`result ${r.result} outside 0-${maxResult}`);
  const out = Buffer.allocUnsafe(5);
  out.writeUInt16BE(r.replySerial, 0);
  out.writeUInt16BE(r.replyMsgId, 2);
  out.writeUInt8(r.result, 4);
  return out;
}

/** 0x0001 terminal general response (SPEC §7.1). */
export function decode0001(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<GeneralResponse> {
  return decodeGeneralResponse(body);
}

/** 0x0001 terminal general response; results 0–3. */
export function encode0001(r: GeneralResponse): Buffer {
  return encodeGeneralResponse(r, GeneralResult.unsupported);
}

/** 0x8001 platform general response (SPEC §7.1). */
export function decode8001(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<GeneralResponse> {
  return decodeGeneralResponse(body);
}

/** 0x8001 platform general response; results 0–4 (4 = alarm handling confirmed). */
export function encode8001(r: GeneralResponse): Buffer {
  return encodeGeneralResponse(r, GeneralResult.alarmConfirmed);
}

/** Any empty-bodied message (SPEC §7.2). Never fails: unexpected bytes are kept as `extra`. */
export function decodeEmpty(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<EmptyBody> {
  return ok(trailing(body, 0));
}

/** An empty body (0x0003, 0x0004, 0x8104, 0x8201, 0x8204, ...). */
export function encodeEmpty(): Buffer {
  return Buffer.alloc(0);
}

/** 0x0002 heartbeat: empty, or vendor bytes (battery, RSSI, status) kept raw as `extra`. */
export const decode0002 = decodeEmpty;
/** 0x0003 logout: empty. */
export const decode0003 = decodeEmpty;
/** 0x0004 server-time query (2019): empty. */
export const decode0004 = decodeEmpty;

/** 0x0002 heartbeat; `extra` only to simulate vendors that append bytes. */
export function encode0002(extra?: Uint8Array): Buffer {
  return extra ? Buffer.from(extra) : Buffer.alloc(0);
}

/** 0x8004 server time: BCD[6] in **UTC** (SPEC §5.1: the one time field that is not GMT+8). */
export function encode8004(utcMs: number): Buffer {
  const out = Buffer.allocUnsafe(6);
  writeBcdTime(out, 0, utcMs, 0);
  return out;
}

/** 0x8004 server time; the terminal's UTC offset is deliberately ignored (the field is UTC). */
export function decode8004(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<ServerTime> {
  if (body.length < 6) return fail('BODY_SHORT', 0, 'time');
  const time = readBcdTime(body, 0, 0);
  if (time === -1) return fail('BAD_BCD', 0, 'time');
  if (time === null) return fail('BODY_INVALID', 0, 'time is not a valid date');
  return ok({ time, ...trailing(body, 6) });
}

/** Bytes taken by a resend list with a count field of `countWidth` bytes. */
function resendLength(body: Buffer, countWidth: 1 | 2): number {
  if (body.length < 2 + countWidth) return -1;
  const n = countWidth === 1 ? body[2] : body.readUInt16BE(2);
  return 2 + countWidth + 2 * n;
}

/**
 * SPEC §7.4: the count is a BYTE in 2013 and a WORD in 2019. go-jt808 sends a BYTE even in 2019 (§11):
 * when the layout's width does not fit the body exactly but the other width does, the other is used.
 * The two cannot both fit one body (odd vs even length).
 */
function decodeResend(body: Buffer, layout: HeaderLayout): DecodeResult<ResendRequest> {
  if (body.length < 2) return fail('BODY_SHORT', 0, 'first fragment serial');
  const preferred: 1 | 2 = layout === '2019' ? 2 : 1;
  const other: 1 | 2 = preferred === 1 ? 2 : 1;
  let width = preferred;
  let end = resendLength(body, preferred);
  if (end !== body.length && resendLength(body, other) === body.length) {
    width = other;
    end = body.length;
  }
  if (end < 0) return fail('BODY_SHORT', 2, 'count');
  if (end > body.length) return fail('BODY_SHORT', body.length, `${(end - 2 - width) / 2} fragment indexes declared`);
  const n = (end - 2 - width) / 2;
  if (n === 0) return fail('BODY_INVALID', 2, 'empty resend list');
  const indexes = new Array<number>(n);
  for (let i = 0; i < n; i++) indexes[i] = body.readUInt16BE(2 + width + 2 * i);
  return ok({ firstSerial: body.readUInt16BE(0), indexes, ...trailing(body, end) });
}

function encodeResend(r: ResendRequest, layout: HeaderLayout): Buffer {
  const n = r.indexes.length;
  if (n === 0) throw new RangeError('resend list is empty');
  const width = layout === '2019' ? 2 : 1;
  const out = Buffer.allocUnsafe(2 + width + 2 * n);
  out.writeUInt16BE(r.firstSerial, 0);
  if (width === 1) out.writeUInt8(n, 2);
  else out.writeUInt16BE(n, 2);
  for (let i = 0; i < n; i++) out.writeUInt16BE(r.indexes[i], 2 + width + 2 * i);
  return out;
}

/** 0x8003 platform asks the terminal to resend fragments (count width from `opts.layout`). */
export function decode8003(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<ResendRequest> {
  return decodeResend(body, opts.layout);
}

/** 0x8003; the layout must be the terminal's (BYTE count in 2013, WORD in 2019). */
export function encode8003(r: ResendRequest, layout: HeaderLayout): Buffer {
  return encodeResend(r, layout);
}

/** 0x0005 terminal asks the platform to resend fragments (2019; same body as 0x8003). */
export function decode0005(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<ResendRequest> {
  return decodeResend(body, opts.layout);
}

/** 0x0005 (simulator side). */
export function encode0005(r: ResendRequest, layout: HeaderLayout): Buffer {
  return encodeResend(r, layout);
}
