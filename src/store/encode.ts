/**
 * Row → insert body, in small chunks with a yield between them, so a 20k-row batch never holds the event
 * loop for more than a few ms (CLICKHOUSE.md §3.3: one 100k-row JSON encode stalls it 130–800 ms).
 * Numbers are written by hand (no JSON.stringify per row; positions straight as bytes) after a cheap type/range
 * check; a row that fails is rejected and counted, never sent, so one bad row cannot poison a whole batch into
 * endless retries.
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { InsertFormat } from './db.js';
import type { IgnitionEventRow, PositionNumbers, PositionRow } from './rows.js';

/** Rows per synchronous slice: ≤ ~1 ms of CPU (strings 1.1–1.6 µs/row, bytes ~0.5 measured), then a yield. */
export const CHUNK_ROWS = 1000;

const u8 = (v: number): boolean => (v & 0xff) === v;
const u16 = (v: number): boolean => (v & 0xffff) === v;
const u32 = (v: number): boolean => v >>> 0 === v;
const i32 = (v: number): boolean => (v | 0) === v;
/** 2000-01-01: BCD years are 2-digit 20xx; the decoder sends ts 0 for a report without a valid time. */
const MIN_TS = 946_684_800;

/** The code units (< 128) a one-character pattern accepts. */
function charTable(re: RegExp): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = re.test(String.fromCharCode(c)) ? 1 : 0;
  return t;
}
const TERMINAL_CHARS = charTable(/^[0-9A-Za-z_-]$/);
const HEX_CHARS = charTable(/^[0-9a-fA-F]$/);

/**
 * Whether every UTF-16 code unit of s is in `table`. Replaces a Set of strings already checked (before it, the
 * regexes): the worker's strings are new per row, so the Set hashed each one anyway, and varying extras still went
 * through the regex and Set.add (bench/encode.ts, validPosition: 0.24 → 0.08 µs/row).
 */
function allIn(s: string, table: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || table[c] === 0) return false;
  }
  return true;
}
/** Exactly /^[0-9A-Za-z_-]{1,32}$/ (test/store/encode.test.ts checks it against the regex). */
export const terminalOk = (v: unknown): boolean =>
  typeof v === 'string' && v.length >= 1 && v.length <= 32 && allIn(v, TERMINAL_CHARS);
/** Exactly /^(?:[0-9a-fA-F]{2})*$/. */
const extrasOk = (v: unknown): boolean => typeof v === 'string' && (v.length & 1) === 0 && allIn(v, HEX_CHARS);

export function validPosition(r: PositionRow): boolean {
  return terminalOk(r.terminal) && validPositionNumbers(r) && extrasOk(r.extras);
}

/** validPosition's checks of the numeric columns (the RowBinary decode path checks its terminal once per read). */
export function validPositionNumbers(r: PositionNumbers): boolean {
  return (
    u32(r.ts) &&
    r.ts >= MIN_TS &&
    u32(r.recvTs) &&
    i32(r.recvTs - r.ts) &&
    i32(r.latE6) &&
    r.latE6 >= -90e6 &&
    r.latE6 <= 90e6 &&
    i32(r.lonE6) &&
    r.lonE6 >= -180e6 &&
    r.lonE6 <= 180e6 &&
    u16(r.speed) &&
    u16(r.direction) &&
    i32(r.altitude) &&
    u32(r.alarm) &&
    u32(r.status) &&
    u32(r.odometer) &&
    u16(r.fuel) &&
    u8(r.satellites) &&
    u8(r.signal) &&
    (r.backfill === 0 || r.backfill === 1)
  );
}

export function validIgnition(r: IgnitionEventRow): boolean {
  return (
    terminalOk(r.terminal) &&
    u32(r.ts) &&
    (r.on === 0 || r.on === 1) &&
    i32(r.latE6) &&
    i32(r.lonE6)
  );
}

export interface RowCodec<R> {
  columns: readonly string[];
  valid(r: R): boolean;
  /** One line of the body, newline included. */
  line(r: R): string;
}

/** Rows written straight as bytes (encodeBytes): a text codec's lines, or RowBinary (position-row-binary.ts). */
export interface ByteWriter<R> {
  columns: readonly string[];
  valid(r: R): boolean;
  /** Upper bound of the bytes `write` puts for r. */
  maxBytes(r: R): number;
  /** Writes a valid r at `at`, given room for maxBytes(r); returns the end. */
  write(r: R, b: Uint8Array, at: number): number;
}

/** A text codec that also writes its line as bytes (the same bytes as `Buffer.from(line(r))`). */
export interface ByteCodec<R> extends RowCodec<R>, ByteWriter<R> {}

/** The text formats (every server); the embedded engine also takes RowBinary positions. */
export type TextFormat = Exclude<InsertFormat, 'RowBinary'>;

/** Two ASCII digits per 0–99: halves the divisions of putInt. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}
/** Longest integer putInt writes: '-2147483648' or '4294967295'. */
const INT_BYTES = 11;

/** Writes an integer (validated: |v| < 2^32) as ASCII decimal, the digits `String(v)` gives. */
function putInt(b: Uint8Array, at: number, v: number): number {
  if (v < 0) {
    b[at++] = 45;
    v = -v;
  }
  if (v < 10) {
    b[at] = 48 + v;
    return at + 1;
  }
  const end =
    at +
    (v < 100 ? 2 : v < 1e3 ? 3 : v < 1e4 ? 4 : v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10);
  let p = end;
  while (v >= 100) {
    const q = Math.floor(v / 100);
    const d = (v - q * 100) * 2;
    b[--p] = DIGIT_PAIRS[d + 1];
    b[--p] = DIGIT_PAIRS[d];
    v = q;
  }
  if (v >= 10) {
    b[--p] = DIGIT_PAIRS[v * 2 + 1];
    b[--p] = DIGIT_PAIRS[v * 2];
  } else b[--p] = 48 + v;
  return end;
}

/** Writes a validated ASCII string (terminal id, hex): one byte per code unit. */
function putAscii(b: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  return at + s.length;
}

function putBytes(b: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) b[at + i] = bytes[i];
  return at + bytes.length;
}

/**
 * The fixed bytes around each value of a line: `seps[i]` precedes value i, `seps[n]` ends the line. Derived from
 * the columns, so the byte writers share no template with `line`, which the tests compare them against.
 */
function separators(format: InsertFormat, columns: readonly string[], quoted: ReadonlySet<string>): Uint8Array[] {
  const q = (i: number): string => (quoted.has(columns[i]) ? '"' : '');
  const seps: string[] = [];
  for (let i = 0; i <= columns.length; i++) {
    const before = i === 0 ? (format === 'JSONCompactEachRow' ? '[' : '{') : q(i - 1);
    if (i === columns.length) seps.push(before + (format === 'JSONCompactEachRow' ? ']\n' : '}\n'));
    else {
      const comma = i === 0 ? '' : ',';
      seps.push(before + comma + (format === 'JSONCompactEachRow' ? '' : `"${columns[i]}":`) + q(i));
    }
  }
  const ascii = new TextEncoder();
  return seps.map((x) => ascii.encode(x));
}

/** `extrasColumn` is `extras_hex` where the server stores binary through EPHEMERAL, else `extras`. */
export function positionCodec(format: TextFormat, extrasColumn: 'extras' | 'extras_hex'): ByteCodec<PositionRow> {
  const columns = [
    'terminal', 'ts', 'recv_delay', 'lat', 'lon', 'speed', 'direction', 'altitude', 'alarm', 'status',
    'odometer', 'fuel', 'satellites', 'signal', 'backfill', extrasColumn,
  ] as const;
  const line =
    format === 'JSONCompactEachRow'
      ? (r: PositionRow): string =>
          `["${r.terminal}",${r.ts},${r.recvTs - r.ts},${r.latE6},${r.lonE6},${r.speed},${r.direction},${r.altitude},` +
          `${r.alarm},${r.status},${r.odometer},${r.fuel},${r.satellites},${r.signal},${r.backfill},"${r.extras}"]\n`
      : (r: PositionRow): string =>
          `{"terminal":"${r.terminal}","ts":${r.ts},"recv_delay":${r.recvTs - r.ts},"lat":${r.latE6},"lon":${r.lonE6},` +
          `"speed":${r.speed},"direction":${r.direction},"altitude":${r.altitude},"alarm":${r.alarm},` +
          `"status":${r.status},"odometer":${r.odometer},"fuel":${r.fuel},"satellites":${r.satellites},` +
          `"signal":${r.signal},"backfill":${r.backfill},"${extrasColumn}":"${r.extras}"}\n`;
  const s = separators(format, columns, new Set(['terminal', extrasColumn]));
  let fixed = 0;
  for (const x of s) fixed += x.length;
  const numbers = (columns.length - 2) * INT_BYTES + fixed;
  const maxBytes = (r: PositionRow): number => numbers + r.terminal.length + r.extras.length;
  const write = (r: PositionRow, b: Uint8Array, at: number): number => {
    at = putAscii(b, putBytes(b, at, s[0]), r.terminal);
    at = putInt(b, putBytes(b, at, s[1]), r.ts);
    at = putInt(b, putBytes(b, at, s[2]), r.recvTs - r.ts);
    at = putInt(b, putBytes(b, at, s[3]), r.latE6);
    at = putInt(b, putBytes(b, at, s[4]), r.lonE6);
    at = putInt(b, putBytes(b, at, s[5]), r.speed);
    at = putInt(b, putBytes(b, at, s[6]), r.direction);
    at = putInt(b, putBytes(b, at, s[7]), r.altitude);
    at = putInt(b, putBytes(b, at, s[8]), r.alarm);
    at = putInt(b, putBytes(b, at, s[9]), r.status);
    at = putInt(b, putBytes(b, at, s[10]), r.odometer);
    at = putInt(b, putBytes(b, at, s[11]), r.fuel);
    at = putInt(b, putBytes(b, at, s[12]), r.satellites);
    at = putInt(b, putBytes(b, at, s[13]), r.signal);
    at = putInt(b, putBytes(b, at, s[14]), r.backfill);
    at = putAscii(b, putBytes(b, at, s[15]), r.extras);
    return putBytes(b, at, s[16]);
  };
  return { columns, valid: validPosition, line, maxBytes, write };
}

export function ignitionCodec(format: TextFormat): RowCodec<IgnitionEventRow> {
  const line =
    format === 'JSONCompactEachRow'
      ? (r: IgnitionEventRow): string => `["${r.terminal}",${r.ts},${r.on},${r.latE6},${r.lonE6}]\n`
      : (r: IgnitionEventRow): string =>
          `{"terminal":"${r.terminal}","ts":${r.ts},"on":${r.on},"lat":${r.latE6},"lon":${r.lonE6}}\n`;
  return { columns: ['terminal', 'ts', 'on', 'lat', 'lon'], valid: validIgnition, line };
}

export interface EncodedBody {
  /** UTF-8 slices of the body (Buffers: no later UTF-8 pass on the main thread, zero-copy into chdb). */
  chunks: Buffer[];
  rows: number;
  rejected: number;
  /** sha256 of the body, hex: names the exact content (the insert dedup token is built from it). */
  digest: string;
}

/** Runs `slice` over [from, to) ranges of chunkRows, yielding to the event loop between them (see the file comment). */
export async function inSlices(n: number, chunkRows: number, slice: (from: number, to: number) => void): Promise<void> {
  for (let i = 0; i < n; i += chunkRows) {
    if (i > 0) await yieldLoop();
    slice(i, Math.min(n, i + chunkRows));
  }
}

/**
 * Valid rows → lines, one Buffer per CHUNK_ROWS slice. Each slice becomes bytes at once: slice strings kept across
 * yields survive scavenges as cons-string trees (measured 5–7× the CPU). `hash` is fed slice by slice.
 */
export async function encodeRows<R>(rows: readonly R[], codec: RowCodec<R>, chunkRows = CHUNK_ROWS): Promise<EncodedBody> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let rejected = 0;
  await inSlices(rows.length, chunkRows, (from, to) => {
    let s = '';
    for (let j = from; j < to; j++) {
      const r = rows[j];
      if (codec.valid(r)) s += codec.line(r);
      else rejected++;
    }
    if (s) {
      const b = Buffer.from(s);
      chunks.push(b);
      hash.update(b);
    }
  });
  return { chunks, rows: rows.length - rejected, rejected, digest: hash.digest('hex') };
}

/** Scratch for encodeBytes, reused across calls; taken while in use, so interleaved calls (main thread) get their own. */
let scratch: Uint8Array | null = null;
/** A scratch grown past this (a huge read) is dropped after use rather than held. */
const SCRATCH_KEEP = 8 << 20;

/**
 * The body scratch for one encode (encodeBytes, the RowBinary decode path): the kept one, or a new 1 MiB one when
 * another call holds it. Never zero-filled: only the bytes written are copied out (scratchBytes).
 */
export function takeScratch(): Uint8Array {
  const b = scratch ?? Buffer.allocUnsafeSlow(1 << 20);
  scratch = null;
  return b;
}

/** `b` with room for `need` bytes, its first `at` kept: one copy sized to `estimate` (the whole body), not one per doubling. */
export function growScratch(b: Uint8Array, at: number, need: number, estimate: number): Uint8Array {
  if (need <= b.length) return b;
  const grown = Buffer.allocUnsafeSlow(Math.max(need, b.length * 2, Math.ceil(estimate) || 0));
  grown.set(b.subarray(0, at));
  return grown;
}

/**
 * The body `b[0, at)` as one Uint8Array over its own ArrayBuffer of exactly its length (safe to transfer: a pooled
 * Buffer shares its slab); gives `b` back as the scratch.
 */
export function scratchBytes(b: Uint8Array, at: number): Uint8Array {
  // ArrayBuffer#slice is one memcpy; `new Uint8Array(b.subarray(0, at))` cost ~4× as much (25 vs 6 ns per 60-byte
  // row, timed alone while writing bench/decode-read.ts).
  const bytes = new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + at) as ArrayBuffer);
  if (b.length <= SCRATCH_KEEP) scratch = b;
  return bytes;
}

/**
 * Valid rows → the body written straight as bytes: no per-row strings, whose concatenation and UTF-8 copies were
 * most of the cost (bench/encode.ts: 1.1–1.3 → ~0.5 µs/row). `valid` is `rows` itself when none was
 * rejected (the usual case: no copy).
 */
export async function encodeBytes<R>(rows: readonly R[], codec: ByteWriter<R>, chunkRows = CHUNK_ROWS): Promise<{ bytes: Uint8Array; valid: readonly R[] }> {
  let b = takeScratch();
  let at = 0;
  let kept: R[] | undefined;
  await inSlices(rows.length, chunkRows, (from, to) => {
    for (let j = from; j < to; j++) {
      const r = rows[j];
      if (!codec.valid(r)) {
        kept ??= rows.slice(0, j);
        continue;
      }
      const need = at + codec.maxBytes(r);
      if (need > b.length) b = growScratch(b, at, need, (at / j) * rows.length * 1.1);
      at = codec.write(r, b, at);
      kept?.push(r);
    }
  });
  return { bytes: scratchBytes(b, at), valid: kept ?? rows };
}
