/**
 * A packet = header + body view + checksum verdict, from one unescaped frame; and the inverse.
 */
import { ok, type DecodeError, type DecodeResult } from './errors.js';
import { wrapFrame, xorChecksum } from './framing.js';
import { decodeHeader, encodeHeaderAndBody, type Header, type HeaderSpec } from './header.js';

export interface Packet {
  header: Header;
  /** View into the frame: valid as long as the frame is. */
  body: Buffer;
  checksumOk: boolean;
  /** The checksum byte as received, and what it should have been. */
  checksum: number;
  checksumExpected: number;
}

/** A failed packet decode; `header` is set when the header could still be read (answer result 2). */
export type PacketError = DecodeError & { header?: Header };

/**
 * Decodes an unescaped frame (header + body + checksum, no delimiters). A bad checksum is *reported*
 * (`checksumOk: false`), not an error: the caller's policy decides (SPEC §10.5).
 */
export function decodePacket(frame: Buffer): DecodeResult<Packet> | PacketError {
  const h = decodeHeader(frame);
  if (!h.ok) {
    const partial = (h as { partial?: Header }).partial;
    return partial ? { ...h, header: partial } : h;
  }
  const header = h.value;
  const end = frame.length - 1;
  const checksum = frame[end];
  const checksumExpected = xorChecksum(frame, 0, end);
  return ok({
    header,
    body: frame.subarray(header.headerLength, end),
    checksumOk: checksum === checksumExpected,
    checksum,
    checksumExpected,
  });
}

/** Encodes one complete wire frame (escaped, delimited) for a header spec and body. */
export function encodePacket(spec: HeaderSpec, body: Uint8Array): Buffer {
  return wrapFrame(encodeHeaderAndBody(spec, body));
}

