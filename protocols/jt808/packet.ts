/**
 * A packet = header + body view + checksum verdict, from one unescaped frame; and the inverse.
 * `decodePacketAt` is the same on a range of a buffer, with the body as a range too (no views): the
 * per-frame path behind `SplitterHandler.frameAt`.
 */
import type { PhoneCache } from './bcd.js';
import { ok, type DecodeError, type DecodeResult } from './errors.js';
import { wrapFrame, xorChecksum } from './framing.js';
import { decodeHeaderAt, encodeHeaderAndBody, type Header, type HeaderSpec } from './header.js';

export interface Packet {
  header: Header;
  /** View into the frame: valid as long as the frame is. */
  body: Buffer;
  checksumOk: boolean;
  /** The checksum byte as received, and what it should have been. */
  checksum: number;
  checksumExpected: number;
}

/**
 * A packet read in place (`decodePacketAt`): the body is `buf[bodyStart, bodyEnd)`, no view is made.
 * Decoders that take a range (`decode0200At`, `readLocation`) read it there; `buf.subarray(bodyStart,
 * bodyEnd)` gives `Packet.body` when a Buffer is needed. Valid as long as `buf` is.
 */
export interface PacketAt {
  header: Header;
  buf: Buffer;
  bodyStart: number;
  bodyEnd: number;
  checksumOk: boolean;
  checksum: number;
  checksumExpected: number;
}

/** A failed packet decode; `header` is set when the header could still be read (answer result 2). */
export type PacketError = DecodeError & { header?: Header };

/**
 * Decodes an unescaped frame (header + body + checksum, no delimiters). A bad checksum is *reported*
 * (`checksumOk: false`), not an error: the caller's policy decides (SPEC §10.5). `phones`: the
 * connection's PhoneCache, if it has one (see decodeHeaderAt).
 */
export function decodePacket(frame: Buffer, phones?: PhoneCache): DecodeResult<Packet> | PacketError {
  const h = decodeHeaderAt(frame, 0, frame.length, phones);
  if (!h.ok) return headerError(h);
  const header = h.value;
  const last = frame.length - 1;
  const checksum = frame[last];
  const checksumExpected = xorChecksum(frame, 0, last);
  return ok({
    header,
    body: frame.subarray(header.headerLength, last),
    checksumOk: checksum === checksumExpected,
    checksum,
    checksumExpected,
  });
}

function headerError(h: DecodeError & { partial?: Header }): PacketError {
  const partial = h.partial;
  return partial ? { ...h, header: partial } : h;
}

/**
 * `decodePacket` of the frame `buf[start, end)` (what `SplitterHandler.frameAt` is given), without a
 * view of the frame or the body: the gateway's per-frame path (bench/decode.ts, "packet" stage). Error
 * offsets are relative to `start`, as `decodePacket` gives them. `phones`: the connection's PhoneCache.
 * `frameXor`: the XOR of all of `buf[start, end)` when the caller has it (the splitter computes it while
 * scanning); without it the checksum is computed here.
 */
export function decodePacketAt(buf: Buffer, start: number, end: number, phones?: PhoneCache, frameXor?: number): DecodeResult<PacketAt> | PacketError {
  const h = decodeHeaderAt(buf, start, end, phones);
  if (!h.ok) return headerError(h);
  const header = h.value;
  const last = end - 1;
  const checksum = buf[last];
  // XOR of everything = expected ^ received, so the expected sum is frameXor ^ received.
  const checksumExpected = frameXor === undefined ? xorChecksum(buf, start, last) : (frameXor ^ checksum) & 0xff;
  return ok({
    header,
    buf,
    bodyStart: start + header.headerLength,
    bodyEnd: last,
    checksumOk: checksum === checksumExpected,
    checksum,
    checksumExpected,
  });
}

/** Encodes one complete wire frame (escaped, delimited) for a header spec and body. */
export function encodePacket(spec: HeaderSpec, body: Uint8Array): Buffer {
  return wrapFrame(encodeHeaderAndBody(spec, body));
}
