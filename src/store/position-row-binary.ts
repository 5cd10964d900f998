/**
 * One position row in ClickHouse RowBinary, for the embedded engine (db.ts: inserted from a file, ~4× less
 * engine CPU per row than text). Columns in POSITIONS order; integers little-endian at their column width,
 * strings as a LEB128 length then the bytes, extras as raw bytes (the hex is unpacked here, not by `unhex`).
 * The row must have passed validPosition (encode.ts): ASCII terminal id, even-length hex extras, ints in range.
 */
import { validPosition, type ByteWriter } from './encode.js';
import type { PositionNumbers, PositionRow } from './rows.js';

export const ROW_BINARY_COLUMNS = [
  'terminal', 'ts', 'recv_delay', 'lat', 'lon', 'speed', 'direction', 'altitude', 'alarm', 'status',
  'odometer', 'fuel', 'satellites', 'signal', 'backfill', 'extras',
] as const;

/** Fixed-width part of a row (writePositionNumbers): 4+4+4+4 + 2+2 + 4+4+4+4 + 2 + 1+1+1. */
export const FIXED_BYTES = 41;

/** Bytes a valid row needs at most: its fixed part, two strings and their (≤ 5-byte) lengths. */
export function rowBinaryMaxBytes(r: PositionRow): number {
  return FIXED_BYTES + 10 + r.terminal.length + (r.extras.length >> 1);
}

/** Hex digit values by char code; 255 for anything else (never met: extras are checked first). */
const HEX_VALUE = new Uint8Array(128).fill(255);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[65 + i] = HEX_VALUE[97 + i] = 10 + i;

/** A string's length as RowBinary writes it (LEB128); returns the offset after it. */
export function writeLength(b: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    b[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[at++] = n;
  return at;
}

function u16(b: Uint8Array, at: number, v: number): number {
  b[at] = v;
  b[at + 1] = v >>> 8;
  return at + 2;
}

/** Also writes an Int32: the low 32 bits of a negative number are its two's complement. */
function u32(b: Uint8Array, at: number, v: number): number {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
  return at + 4;
}

/** Bytes writeLength puts for n. */
export function lengthBytes(n: number): number {
  let k = 1;
  while (n > 0x7f) {
    n >>>= 7;
    k++;
  }
  return k;
}

/** The terminal column: a validated (ASCII) id as its length and bytes; returns the offset after it. */
export function writeTerminal(b: Uint8Array, at: number, t: string): number {
  at = writeLength(b, at, t.length);
  for (let i = 0; i < t.length; i++) b[at++] = t.charCodeAt(i);
  return at;
}

/** Writes `r` at `at` (room for rowBinaryMaxBytes(r) is the caller's); returns the offset after it. */
export function writePositionRowBinary(r: PositionRow, b: Uint8Array, at: number): number {
  at = writePositionNumbers(r, b, writeTerminal(b, at, r.terminal));
  const x = r.extras;
  at = writeLength(b, at, x.length >> 1);
  for (let i = 0; i < x.length; i += 2) b[at++] = (HEX_VALUE[x.charCodeAt(i)] << 4) | HEX_VALUE[x.charCodeAt(i + 1)];
  return at;
}

/** The FIXED_BYTES of the columns between terminal and extras (`ts` to `backfill`); returns the offset after them. */
export function writePositionNumbers(r: PositionNumbers, b: Uint8Array, at: number): number {
  at = u32(b, at, r.ts);
  at = u32(b, at, r.recvTs - r.ts);
  at = u32(b, at, r.latE6);
  at = u32(b, at, r.lonE6);
  at = u16(b, at, r.speed);
  at = u16(b, at, r.direction);
  at = u32(b, at, r.altitude);
  at = u32(b, at, r.alarm);
  at = u32(b, at, r.status);
  at = u32(b, at, r.odometer);
  at = u16(b, at, r.fuel);
  b[at++] = r.satellites;
  b[at++] = r.signal;
  b[at++] = r.backfill;
  return at;
}

export const positionRowBinary: ByteWriter<PositionRow> = {
  columns: ROW_BINARY_COLUMNS,
  valid: validPosition,
  maxBytes: rowBinaryMaxBytes,
  write: writePositionRowBinary,
};
