// On-disk record framing, little endian:
//
//   offset 0  u32  crc32 of bytes [4, end): length, stamp and data, so a damaged length is caught too
//   offset 4  u32  data length in bytes
//   offset 8  f64  stampMs (receive time, ms since epoch)
//   offset 16 data
//
// A record never spans two segment files. A zero-filled region fails the CRC, so preallocated or
// sparse tails read as torn, never as records.
import { crc32 } from './crc32.js';

export const HEADER_BYTES = 16;
/** Sanity bound for a length field read from disk; real records are bounded by the write buffer. */
export const MAX_DATA_BYTES = 0x7fff_0000;

/**
 * Frames `data` into buf at off and returns the record's total length. The caller checked room.
 * Hot path: no allocation, one copy of data.
 */
export function encodeRecord(buf: Buffer, off: number, data: Uint8Array, stampMs: number): number {
  buf.set(data, off + HEADER_BYTES);
  return sealRecord(buf, off, data.length, stampMs);
}

// Node's own writeDoubleLE trick. Plain byte stores instead of Buffer methods: in optimized code every
// Buffer method is looked up through a generic LoadIC (V8 11, Node 20), ~10 ns each per record.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes the header of the record at buf[off] whose `len` data bytes are already in place at
 * off + HEADER_BYTES (length, stamp, then the CRC over both and the data); returns the total length.
 */
export function sealRecord(buf: Uint8Array, off: number, len: number, stampMs: number): number {
  buf[off + 4] = len;
  buf[off + 5] = len >>> 8;
  buf[off + 6] = len >>> 16;
  buf[off + 7] = len >>> 24;
  f64[0] = stampMs;
  const s = off + 8;
  if (LITTLE_ENDIAN_HOST) for (let i = 0; i < 8; i++) buf[s + i] = f64Bytes[i];
  else for (let i = 0; i < 8; i++) buf[s + i] = f64Bytes[7 - i];
  const end = off + HEADER_BYTES + len;
  const crc = crc32(buf, off + 4, end);
  buf[off] = crc;
  buf[off + 1] = crc >>> 8;
  buf[off + 2] = crc >>> 16;
  buf[off + 3] = crc >>> 24;
  return end - off;
}

/** Result of checkRecord when the bytes up to `end` do not hold the whole record. */
export const INCOMPLETE = 0;
/** Result of checkRecord when the header or CRC is wrong. */
export const CORRUPT = -1;

/**
 * Checks the record starting at buf[off] with the bytes available up to `end`.
 * Returns its total length when complete and intact, INCOMPLETE or CORRUPT otherwise.
 */
export function checkRecord(buf: Buffer, off: number, end: number): number {
  const total = recordLength(buf, off, end);
  if (total <= 0) return total;
  return crc32(buf, off + 4, off + total) === buf.readUInt32LE(off) ? total : CORRUPT;
}

/**
 * checkRecord without the CRC, for records this process wrote itself (consumer.ts): the total length when the
 * record is whole, INCOMPLETE or CORRUPT (an impossible length) otherwise.
 */
export function recordLength(buf: Buffer, off: number, end: number): number {
  if (end - off < HEADER_BYTES) return INCOMPLETE;
  const len = buf.readUInt32LE(off + 4);
  if (len > MAX_DATA_BYTES) return CORRUPT;
  return end - off < HEADER_BYTES + len ? INCOMPLETE : HEADER_BYTES + len;
}

/** Data length from a header already known to be present. */
export function recordDataLength(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 4);
}

export function recordStamp(buf: Buffer, off: number): number {
  return buf.readDoubleLE(off + 8);
}

/**
 * Walks the records in buf[0, end) — for a worker decoding a batch from SpoolConsumer.readBatch —
 * calling fn(stampMs, dataStart, dataEnd, recordEnd) with offsets into buf (no allocation).
 * Verifies each CRC; returns the number of records, or the negative (-1 - offset) of the first
 * record that is damaged or cut (records before it were delivered).
 */
export function forEachRecord(
  buf: Buffer,
  end: number,
  fn: (stampMs: number, dataStart: number, dataEnd: number, recordEnd: number) => void,
): number {
  let off = 0;
  let count = 0;
  while (off < end) {
    const r = checkRecord(buf, off, end);
    if (r <= 0) return -1 - off;
    fn(buf.readDoubleLE(off + 8), off + HEADER_BYTES, off + r, off + r);
    off += r;
    count++;
  }
  return count;
}

/** Length of the prefix of buf[0, end) made of whole records, by length fields only (no CRC). */
export function wholeRecordsPrefix(buf: Buffer, end: number): { bytes: number; count: number } {
  let off = 0;
  let count = 0;
  while (end - off >= HEADER_BYTES) {
    const total = HEADER_BYTES + buf.readUInt32LE(off + 4);
    if (total > end - off) break;
    off += total;
    count++;
  }
  return { bytes: off, count };
}
