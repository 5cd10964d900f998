/**
 * Framing (SPEC §3): 0x7e delimiters, 0x7d escapes, XOR checksum, and a stream splitter for TCP.
 *
 * Zero-copy contract: the splitter hands out `subarray` views of the pushed chunk or of its own scratch
 * buffer (`frame`), or, to a handler with `frameAt`, the same bytes as a range of that buffer with no view
 * at all. Either is valid only until the callback returns; anything kept longer (spool, worker batch)
 * must be copied by the caller.
 */
import type { DecodeErrorCode } from './errors.js';

export const FRAME_DELIMITER = 0x7e;
export const ESCAPE = 0x7d;
export const DEFAULT_MAX_FRAME_BYTES = 8192;

/** XOR of `buf[start, end)` (SPEC §3.2). */
export function xorChecksum(buf: Uint8Array, start: number, end: number): number {
  // Four bytes per iteration: runs over every frame, and the unrolled loop takes about half the time of
  // the one-byte loop on a 66-byte 0x0200 frame (bench/decode.ts, "packet" stage).
  let x = 0;
  let i = start;
  for (const end4 = end - 3; i < end4; i += 4) x ^= buf[i] ^ buf[i + 1] ^ buf[i + 2] ^ buf[i + 3];
  for (; i < end; i++) x ^= buf[i];
  return x;
}

/** Result of unescaping: the number of bytes written, or a negative value: -(offset + 1) of a bad escape. */
export function unescapeInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstOffset: number): number {
  const w = unescapeXorInto(src, start, end, dst, dstOffset, 0);
  return w < 0 ? w + start : w - dstOffset;
}

/** XOR result of the last `unescapeXorInto` (a second return value without an allocation). */
let unescapedXor = 0;

/**
 * Unescapes `src[i, end)` into `dst` from `w` on, continuing the XOR `x` over the bytes written (left
 * in `unescapedXor`). Returns the end of what was written in `dst`, or -(index + 1) of a bad escape's
 * 0x7d (absolute in `src`). Four bytes per step while none of them is an escape: about twice the
 * speed of a byte loop on a 66-byte frame (bench/decode.ts, "escaped" split).
 */
function unescapeXorInto(src: Uint8Array, i: number, end: number, dst: Uint8Array, w: number, x: number): number {
  const end4 = end - 3;
  while (i < end) {
    if (i < end4) {
      const b0 = src[i];
      const b1 = src[i + 1];
      const b2 = src[i + 2];
      const b3 = src[i + 3];
      if (b0 !== ESCAPE && b1 !== ESCAPE && b2 !== ESCAPE && b3 !== ESCAPE) {
        dst[w] = b0;
        dst[w + 1] = b1;
        dst[w + 2] = b2;
        dst[w + 3] = b3;
        x ^= b0 ^ b1 ^ b2 ^ b3;
        w += 4;
        i += 4;
        continue;
      }
    }
    let b = src[i];
    // A lone 0x7d right before the closing 0x7e: some terminals send an unescaped 0x7d checksum
    // (SPEC §10.5, go-jt808 accepts it). Taken literally; any other 0x7d must be followed by 01 or 02.
    if (b === ESCAPE && i + 1 < end) {
      const next = src[++i];
      if (next === 0x01) b = 0x7d;
      else if (next === 0x02) b = 0x7e;
      else return -i;
    }
    dst[w++] = b;
    x ^= b;
    i++;
  }
  unescapedXor = x;
  return w;
}

/** Number of bytes `payload` takes once escaped. */
export function escapedLength(payload: Uint8Array, start = 0, end = payload.length): number {
  let n = end - start;
  for (let i = start; i < end; i++) if (payload[i] === 0x7e || payload[i] === 0x7d) n++;
  return n;
}

/**
 * Wraps an unescaped `header+body` (without checksum) into a complete wire frame:
 * checksum appended, everything escaped (0x7d before 0x7e, SPEC §3.1), 0x7e on both ends.
 */
export function wrapFrame(headerAndBody: Uint8Array): Buffer {
  // Delimiters, escaped payload, and a checksum that may need escaping: at most 4 more bytes.
  const out = Buffer.allocUnsafe(escapedLength(headerAndBody) + 4);
  out.set(headerAndBody, 1);
  return out.subarray(0, wrapFrameInPlace(out, 0, 1 + headerAndBody.length));
}

/**
 * The same in place, for writers into their own buffers: header + body sit unescaped at b[start + 1, end), with
 * room after `end` for its escapes and 3 bytes more (at worst as many bytes again, plus 3). Writes the delimiters and checksum and
 * escapes; returns the frame's end. Most frames need no escape, and then nothing moves.
 */
export function wrapFrameInPlace(b: Uint8Array, start: number, end: number): number {
  let x = 0;
  let escapes = 0;
  for (let i = start + 1; i < end; i++) {
    const c = b[i];
    x ^= c;
    if (c === FRAME_DELIMITER || c === ESCAPE) escapes++;
  }
  b[start] = FRAME_DELIMITER;
  if (escapes > 0) {
    // Shift right from the back, escaping on the way: each byte moves by the escapes before it.
    let r = end - 1;
    let w = end - 1 + escapes;
    while (r > start) {
      const c = b[r--];
      if (c === FRAME_DELIMITER || c === ESCAPE) {
        b[w--] = c === FRAME_DELIMITER ? 0x02 : 0x01;
        b[w--] = ESCAPE;
      } else b[w--] = c;
    }
    end += escapes;
  }
  if (x === FRAME_DELIMITER || x === ESCAPE) {
    b[end++] = ESCAPE;
    b[end++] = x === FRAME_DELIMITER ? 0x02 : 0x01;
  } else b[end++] = x;
  b[end++] = FRAME_DELIMITER;
  return end;
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
  /**
   * Optional, preferred when present: the same frame as `buf[start, end)`, without making a view of it
   * (a `subarray` costs ≈45 ns on Node 20; bench/decode.ts, "split" stage). `buf` is the pushed chunk,
   * the splitter's pending buffer or its unescape scratch: valid until return, like `frame`'s view.
   * `xor` is the XOR of all the frame's bytes, checksum byte included: 0 when the checksum matches
   * (SPEC §3.2). Pass both to `decodePacketAt(buf, start, end, phones, xor)`.
   */
  frameAt?(buf: Buffer, start: number, end: number, xor: number): void;
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
  /**
   * Bytes of an incomplete frame. Allocated only when a read ends inside a frame, and grown as needed:
   * most terminals' frames arrive whole, so an idle connection holds no buffer at all (the gateway keeps
   * ~19,000 connections in a few KB each; bench/connections.ts).
   */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  /** 'skip' until the first delimiter or after an overflow; 'collect' inside a candidate. */
  private collecting = false;
  private overflowed = false;
  private scratchBuffer: Buffer | null;

  /**
   * `scratch`: a buffer of at least `maxFrameBytes` to unescape into, which may be shared by every
   * splitter of one thread (frames are handed out synchronously and are valid only during the
   * callback); without it each splitter allocates its own on the first escaped frame.
   */
  constructor(
    readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
    scratch?: Buffer,
  ) {
    if (scratch !== undefined && scratch.length < maxFrameBytes) throw new RangeError(`scratch of ${scratch.length} bytes is smaller than maxFrameBytes ${maxFrameBytes}`);
    this.scratchBuffer = scratch ?? null;
  }

  private get scratch(): Buffer {
    return (this.scratchBuffer ??= Buffer.allocUnsafe(this.maxFrameBytes));
  }

  /** Room for `needed` bytes of incomplete frame (never more than maxFrameBytes: checked by the caller). */
  private pendingFor(needed: number): Buffer {
    const cur = this.pending;
    if (cur !== null && cur.length >= needed) return cur;
    const grown = Buffer.allocUnsafe(Math.min(this.maxFrameBytes, Math.max(needed, 256, cur === null ? 0 : cur.length * 2)));
    if (cur !== null && this.pendingLength > 0) cur.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
    return grown;
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

  /**
   * Where the splitter stands between frames, as a small number, or -1 while it holds part of a frame.
   * With `resume` one splitter can serve many streams in turn: a stream keeps only this number, and a
   * splitter of its own only while a frame spans its reads (`handOver`).
   */
  get idleState(): number {
    return this.pendingLength > 0 ? -1 : (this.collecting ? 1 : 0) | (this.overflowed ? 2 : 0);
  }

  /** Continues from an `idleState` (≥ 0) of this or another splitter with the same limits. */
  resume(state: number): void {
    this.pendingLength = 0;
    this.collecting = (state & 1) !== 0;
    this.overflowed = (state & 2) !== 0;
  }

  /** Moves this splitter's state, partial frame included, to `to`; this one is left reset. */
  handOver(to: FrameSplitter): void {
    to.pending = this.pending;
    to.pendingLength = this.pendingLength;
    to.collecting = this.collecting;
    to.overflowed = this.overflowed;
    this.pending = null;
    this.reset();
  }

  push(chunk: Buffer, handler: SplitterHandler): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      // Back-to-back frames (`7e A 7e 7e B 7e`, or one frame per read after the last one closed) put a
      // delimiter right here: one byte test instead of a native indexOf call (≈18 ns; bench/decode.ts).
      const d = chunk[i] === FRAME_DELIMITER ? i : chunk.indexOf(FRAME_DELIMITER, i);
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
        chunk.copy(this.pendingFor(this.pendingLength + n - i), this.pendingLength, i, n);
        this.pendingLength += n - i;
        return;
      }
      if (this.pendingLength === 0) {
        if (end > i) this.emit(chunk, i, end, handler);
      } else {
        const len = this.pendingLength + (end - i);
        const buf = this.pendingFor(len);
        chunk.copy(buf, this.pendingLength, i, end);
        this.pendingLength = 0;
        this.emit(buf, 0, len, handler);
        if (buf.length > 1024) this.pending = null; // a rare large frame: don't keep its buffer per connection
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
      const held = this.pending ?? Buffer.alloc(0);
      handler.error('FRAME_TOO_LONG', held.subarray(0, Math.min(this.pendingLength, 64)));
      this.overflowed = true;
    }
    this.pending = null;
    this.pendingLength = 0;
    this.collecting = false;
  }

  private emit(src: Buffer, start: number, end: number, handler: SplitterHandler): void {
    if (handler.frameAt === undefined) {
      this.emitView(src, start, end, handler);
      return;
    }
    // One pass over the candidate: its XOR (the checksum test) and the escape test together, instead
    // of a native indexOf (≈19 ns) here and a second loop for the XOR in decodePacketAt; four bytes per
    // step (bench/decode.ts, "split" stage). A plain frame is handed over in place.
    let x = 0;
    let i = start;
    for (const end4 = end - 3; i < end4; i += 4) {
      const b0 = src[i];
      const b1 = src[i + 1];
      const b2 = src[i + 2];
      const b3 = src[i + 3];
      if (b0 === ESCAPE || b1 === ESCAPE || b2 === ESCAPE || b3 === ESCAPE) break;
      x ^= b0 ^ b1 ^ b2 ^ b3;
    }
    for (; i < end; i++) {
      const b = src[i];
      if (b === ESCAPE) break;
      x ^= b;
    }
    if (i === end) {
      handler.frameAt(src, start, end, x);
      return;
    }
    // An escape: unescape the whole candidate into scratch, XOR again on the way. Going over the bytes
    // before the escape once more in 4-byte steps beat copying them byte by byte and resuming there
    // (≈8 % on an escaped frame's full path; bench/decode.ts).
    const dst = this.scratch;
    const n = unescapeXorInto(src, start, end, dst, 0, 0);
    if (n < 0) {
      handler.error('INVALID_ESCAPE', src.subarray(start, end));
      return;
    }
    handler.frameAt(dst, 0, n, unescapedXor);
  }

  /** For a handler without `frameAt`: views of the chunk or of the unescaped copy. */
  private emitView(src: Buffer, start: number, end: number, handler: SplitterHandler): void {
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
