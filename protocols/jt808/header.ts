/**
 * Message header, 2011/2013/2019 (SPEC §4). The layout is decided by the length rule of SPEC §4.3, not
 * by bit 14 alone: real terminals set it wrongly in both directions.
 */
import { bcdDigits, canonicalTerminalId, writeBcd, type PhoneCache } from './bcd.js';
import { fail, ok, type DecodeResult } from './errors.js';

/** Header layout. 2011 and 2013 share one header ('2013'); 2019 adds a version byte and BCD[10]. */
export type HeaderLayout = '2013' | '2019';

export const HEADER_2013 = 12;
export const HEADER_2019 = 17;
export const SUBPACKAGE_FIELDS = 4;
export const MAX_BODY_LENGTH = 0x3ff;

const BODY_LENGTH_MASK = 0x03ff;
const ENCRYPTION_SHIFT = 10;
const SUBPACKAGE_BIT = 0x2000;
const VERSION_BIT = 0x4000;

export interface Header {
  msgId: number;
  /** The whole body-properties WORD as received. */
  bodyProperties: number;
  bodyLength: number;
  /** 0 none, 1 RSA, other values reserved (bits 10-12). */
  encryption: number;
  subpackage: boolean;
  /** Bit 14 as sent (may disagree with `layout`, see SPEC §4.3). */
  versionFlag: boolean;
  layout: HeaderLayout;
  /** 2019 protocol-version byte; null for 2011/2013. */
  protocolVersion: number | null;
  /** All phone BCD digits as sent (12 or 20 hex digits, leading zeros kept). */
  phoneBcd: string;
  /** Canonical terminal id (leading zeros stripped; non-BCD kept as hex). */
  terminalId: string;
  serial: number;
  /** 1-based fragment fields, present only when `subpackage`; 0 otherwise. */
  packetTotal: number;
  packetIndex: number;
  /** Bytes before the body (12/16/17/21). */
  headerLength: number;
}

/** Whether the unescaped frame fits the given layout. `frameLength` excludes the checksum byte. */
function layoutFits(headerBase: number, subpackage: boolean, bodyLength: number, frameLength: number): boolean {
  return headerBase + (subpackage ? SUBPACKAGE_FIELDS : 0) + bodyLength === frameLength;
}

/**
 * Picks the layout by SPEC §4.3: bit 14 when its layout fits the length, otherwise the layout that fits.
 * Returns null when neither fits.
 */
export function detectLayout(bodyProperties: number, frameLength: number): HeaderLayout | null {
  const n = bodyProperties & BODY_LENGTH_MASK;
  const sub = (bodyProperties & SUBPACKAGE_BIT) !== 0;
  const fits2019 = layoutFits(HEADER_2019, sub, n, frameLength);
  const fits2013 = layoutFits(HEADER_2013, sub, n, frameLength);
  if ((bodyProperties & VERSION_BIT) !== 0) return fits2019 ? '2019' : fits2013 ? '2013' : null;
  return fits2013 ? '2013' : fits2019 ? '2019' : null;
}

/**
 * Parses the header of an unescaped frame (header + body + checksum). On LENGTH_MISMATCH the error
 * still carries a best-effort header (layout from bit 14) so the gateway can answer "message error"
 * (result 2) to the right serial, as SPEC §12 suggests.
 */
export function decodeHeader(frame: Uint8Array): DecodeResult<Header> & { partial?: Header } {
  return decodeHeaderAt(frame, 0, frame.length);
}

/**
 * `decodeHeader` of the frame `buf[start, end)`, without a view of it. Error offsets are relative to
 * `start`, as `decodeHeader` gives them for the frame alone. `phones` (one per connection) saves
 * building the phone strings when the phone repeats (bench/decode.ts).
 */
export function decodeHeaderAt(buf: Uint8Array, start: number, end: number, phones?: PhoneCache): DecodeResult<Header> & { partial?: Header } {
  const length = end - start;
  const frameLength = length - 1; // without checksum
  if (frameLength < HEADER_2013) return fail('FRAME_SHORT', length, `${length} bytes`);
  const props = (buf[start + 2] << 8) | buf[start + 3];
  const layout = detectLayout(props, frameLength);
  if (layout === null) {
    const guess: HeaderLayout = (props & VERSION_BIT) !== 0 && frameLength >= HEADER_2019 ? '2019' : '2013';
    const partial = readHeader(buf, start, end, props, guess, phones);
    const err = fail('LENGTH_MISMATCH', 2, `body length ${props & BODY_LENGTH_MASK} does not fit a ${length}-byte frame`);
    return partial ? { ...err, partial } : err;
  }
  const header = readHeader(buf, start, end, props, layout, phones);
  return header ? ok(header) : fail('FRAME_SHORT', length);
}

function readHeader(buf: Uint8Array, start: number, end: number, props: number, layout: HeaderLayout, phones: PhoneCache | undefined): Header | null {
  const sub = (props & SUBPACKAGE_BIT) !== 0;
  const base = layout === '2019' ? HEADER_2019 : HEADER_2013;
  const headerLength = base + (sub ? SUBPACKAGE_FIELDS : 0);
  if (end - start - 1 < headerLength) return null;
  const phoneStart = start + (layout === '2019' ? 5 : 4);
  const phoneEnd = start + (layout === '2019' ? 15 : 10);
  // Without a caller's cache the strings are built here: the codec keeps no state between calls.
  let phoneBcd: string;
  let terminalId: string;
  if (phones) {
    phones.read(buf, phoneStart, phoneEnd);
    phoneBcd = phones.phoneBcd;
    terminalId = phones.terminalId;
  } else {
    phoneBcd = bcdDigits(buf, phoneStart, phoneEnd);
    terminalId = canonicalTerminalId(phoneBcd);
  }
  return {
    msgId: (buf[start] << 8) | buf[start + 1],
    bodyProperties: props,
    bodyLength: props & BODY_LENGTH_MASK,
    encryption: (props >> ENCRYPTION_SHIFT) & 0x07,
    subpackage: sub,
    versionFlag: (props & VERSION_BIT) !== 0,
    layout,
    protocolVersion: layout === '2019' ? buf[start + 4] : null,
    phoneBcd,
    terminalId,
    serial: (buf[phoneEnd] << 8) | buf[phoneEnd + 1],
    packetTotal: sub ? (buf[phoneEnd + 2] << 8) | buf[phoneEnd + 3] : 0,
    packetIndex: sub ? (buf[phoneEnd + 4] << 8) | buf[phoneEnd + 5] : 0,
    headerLength,
  };
}

/** What an encoder needs to write a header. Replies copy layout, protocol version and phone from the request. */
export interface HeaderSpec {
  msgId: number;
  layout: HeaderLayout;
  /** Phone digits (any length up to 12 / 20, left-padded with zeros), or the exact BCD hex to echo. */
  phoneBcd: string;
  serial: number;
  /** 2019 protocol-version byte (default 1). */
  protocolVersion?: number;
  /** Set bit 14 (default: true for 2019, false for 2013). Replies mirror the request's flag. */
  versionFlag?: boolean;
  encryption?: number;
  packetTotal?: number;
  packetIndex?: number;
}

/** Writes header + body (unescaped, no checksum) into a new Buffer. Throws on out-of-range values. */
export function encodeHeaderAndBody(spec: HeaderSpec, body: Uint8Array): Buffer {
  if (body.length > MAX_BODY_LENGTH) throw new RangeError(`body of ${body.length} bytes exceeds ${MAX_BODY_LENGTH}: subpackage it`);
  const sub = (spec.packetTotal ?? 0) > 0;
  const is2019 = spec.layout === '2019';
  const headerLength = (is2019 ? HEADER_2019 : HEADER_2013) + (sub ? SUBPACKAGE_FIELDS : 0);
  const out = Buffer.allocUnsafe(headerLength + body.length);
  const versionFlag = spec.versionFlag ?? is2019;
  const props = body.length | ((spec.encryption ?? 0) << ENCRYPTION_SHIFT) | (sub ? SUBPACKAGE_BIT : 0) | (versionFlag ? VERSION_BIT : 0);
  out.writeUInt16BE(spec.msgId, 0);
  out.writeUInt16BE(props, 2);
  let at = 4;
  if (is2019) out[at++] = spec.protocolVersion ?? 1;
  const phoneBytes = is2019 ? 10 : 6;
  writeBcd(out, at, spec.phoneBcd, phoneBytes);
  at += phoneBytes;
  out.writeUInt16BE(spec.serial & 0xffff, at);
  at += 2;
  if (sub) {
    out.writeUInt16BE(spec.packetTotal!, at);
    out.writeUInt16BE(spec.packetIndex ?? 1, at + 2);
    at += 4;
  }
  out.set(body, at);
  return out;
}

/** A header spec for a reply to `request`: same layout, version flag, protocol version and phone bytes. */
export function replyHeader(request: Header, msgId: number, serial: number): HeaderSpec {
  return {
    msgId,
    layout: request.layout,
    phoneBcd: request.phoneBcd,
    serial,
    protocolVersion: request.protocolVersion ?? 1,
    versionFlag: request.versionFlag,
  };
}
