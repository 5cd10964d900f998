/**
 * Framing (SPEC §3): 0x7e delimiters, 0x7d escapes, XOR checksum, and a stream splitter for TCP.
 *
 * Zero-copy contract: the splitter hands out `subarray` views of the pushed chunk or of its own scratch
 * buffer. A view is valid only until the callback returns; anything kept longer (spool, worker batch)
 * must be copied by the caller.
 */
import type { DecodeErrorCode } from './errors.js';

export const FRAME_DELIMITER = 0x7e;
export const ESCAPE = 0x7d;
export const DEFAULT_MAX_FRAME_BYTES = 8192;

/** XOR of `buf[start, end)` (SPEC §3.2). */
export function xorChecksum(buf: Uint8Array, start: number, end: number): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= buf[i];
  return x;
}

/** Result of unescaping: the number of bytes written, or a negative value: -(offset + 1) of a bad escape. */
export function unescapeInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstOffset: number): number {
  let w = dstOffset;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (b !== ESCAPE) {
      dst[w++] = b;
      continue;
    }
    if (i + 1 >= end) {
      // A lone 0x7d right before the closing 0x7e: some terminals send an unescaped 0x7d checksum
      // (SPEC §10.5, go-jt808 accepts it). Taken literally; anything else is an error.
      dst[w++] = b;
      continue;
    }
    const next = src[++i];
    if (next === 0x01) dst[w++] = 0x7d;
    else if (next === 0x02) dst[w++] = 0x7e;
    else return -(i - start);
  }
  return w - dstOffset;
}

/** Number of bytes `payload` takes once escaped. */
export function escapedLength(payload: Uint8Array, start = 0, end = payload.length): number {
  let n = end - start;
  for (let i = start; i < end; i++) if (payload[i] === 0x7e || payload[i] === 0x7d) n++;
  return n;
}

/**
 * Wraps an unescaped `header+body` (without checksum) into a complete wire frame:
 * checksum appended, everything escaped (0x7d before 0x7e, SPEC §3.1, in one pass), 0x7e on both ends.
 */
export function wrapFrame(headerAndBody: Uint8Array): Buffer {
  const sum = xorChecksum(headerAndBody, 0, headerAndBody.length);
  let len = escapedLength(headerAndBody) + 2 + (sum === 0x7e || sum === 0x7d ? 2 : 1);
  const out = Buffer.allocUnsafe(len);
  let w = 0;
  out[w++] = FRAME_DELIMITER;
  for (let i = 0; i < headerAndBody.length; i++) w = putEscaped(out, w, headerAndBody[i]);
  w = putEscaped(out, w, sum);
  out[w++] = FRAME_DELIMITER;
  len = w;
  return out;
}

function putEscaped(out: Uint8Array, w: number, b: number): number {
  if (b === 0x7e) {
    out[w++] = 0x7d;
    out[w++] = 0x02;
  } else if (b === 0x7d) {
    out[w++] = 0x7d;
    out[w++] = 0x01;
  } else {
    out[w++] = b;
  }
  return w;
}

/** Unescapes a complete wire frame (with or without its 0x7e delimiters) into a new Buffer. */
export function unescapeFrame(wire: Uint8Array): { ok: true; frame: Buffer } | { ok: false; code: DecodeErrorCode; offset: number } {
  let start = 0;
  let end = wire.length;
  if (end > 0 && wire[0] === FRAME_DELIMITER) start++;
  if (end > start && wire[end - 1] === FRAME_DELIMITER) end--;
  const out = Buffer.allocUnsafe(end - start);
  const n = unescapeInto(wire, start, end, out, 0);
  if (n < 0) return { ok: false, code: 'INVALID_ESCAPE', offset: start - n - 1 };
  return { ok: true, frame: out.subarray(0, n) };
}

export interface SplitterHandler {
  /** An unescaped frame (header + body + checksum, no delimiters). A view: valid until return. */
  frame(unescaped: Buffer): void;
  /** A candidate frame that could not be unescaped or was too long; `raw` is a view of what was dropped (possibly partial). */
  error(code: DecodeErrorCode, raw: Buffer): void;
  /** Bytes skipped before the first delimiter (non-808 noise). Optional. */
  skipped?(byteCount: number): void;
}

/**
 * Stream splitter (SPEC §3.3). Every 0x7e is a delimiter; the bytes between two delimiters are one
 * candidate frame, so `7e A 7e 7e B 7e` and `7e A 7e B 7e` both give A and B, and an empty candidate
 * (`7e 7e`) is skipped. Bytes before the first delimiter are skipped. A candidate longer than
 * `maxFrameBytes` is reported once and dropped up to the next 0x7e (resync). Unescaping happens when a
 * candidate is complete, so a read that ends between 0x7d and its 01/02 needs no special state.
 */
export class FrameSplitter {
  private readonly pending: Buffer;
  private pendingLength = 0;
  /** 'skip' until the first delimiter or after an overflow; 'collect' inside a candidate. */
  private collecting = false;
  private overflowed = false;
  private readonly scratch: Buffer;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.pending = Buffer.allocUnsafe(maxFrameBytes);
    this.scratch = Buffer.allocUnsafe(maxFrameBytes);
  }

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /** Drops any partial frame (e.g. after the connection's parser state is reset). */
  reset(): void {
    this.pendingLength = 0;
    this.collecting = false;
    this.overflowed = false;
  }

  push(chunk: Buffer, handler: SplitterHandler): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const d = chunk.indexOf(FRAME_DELIMITER, i);
      if (!this.collecting) {
        if (d < 0) {
          this.noteSkipped(n - i, handler);
          return;
        }
        this.noteSkipped(d - i, handler);
        this.collecting = true;
        this.overflowed = false;
        this.pendingLength = 0;
        i = d + 1;
        continue;
      }
      const end = d < 0 ? n : d;
      if (this.pendingLength + (end - i) > this.maxFrameBytes) {
        this.overflow(handler);
        if (d < 0) return;
        // The delimiter that ends the oversize run starts the next candidate.
        this.collecting = true;
        this.pendingLength = 0;
        this.overflowed = false;
        i = d + 1;
        continue;
      }
      if (d < 0) {
        chunk.copy(this.pending, this.pendingLength, i, n);
        this.pendingLength += n - i;
        return;
      }
      if (this.pendingLength === 0) {
        if (end > i) this.emit(chunk, i, end, handler);
      } else {
        chunk.copy(this.pending, this.pendingLength, i, end);
        const len = this.pendingLength + (end - i);
        this.pendingLength = 0;
        this.emit(this.pending, 0, len, handler);
      }
      i = d + 1; // stay collecting: this delimiter also opens the next candidate
    }
  }

  private noteSkipped(count: number, handler: SplitterHandler): void {
    if (count > 0 && !this.overflowed && handler.skipped) handler.skipped(count);
  }

  /** Reports an oversize candidate once, then discards bytes up to the next delimiter. */
  private overflow(handler: SplitterHandler): void {
    if (!this.overflowed) {
      handler.error('FRAME_TOO_LONG', this.pending.subarray(0, Math.min(this.pendingLength, 64)));
      this.overflowed = true;
    }
    this.pendingLength = 0;
    this.collecting = false;
  }

  private emit(src: Buffer, start: number, end: number, handler: SplitterHandler): void {
    const esc = src.indexOf(ESCAPE, start);
    if (esc < 0 || esc >= end) {
      handler.frame(src.subarray(start, end)); // fast path: nothing to unescape, no copy
      return;
    }
    const n = unescapeInto(src, start, end, this.scratch, 0);
    if (n < 0) {
      handler.error('INVALID_ESCAPE', src.subarray(start, end));
      return;
    }
    handler.frame(this.scratch.subarray(0, n));
  }
}
