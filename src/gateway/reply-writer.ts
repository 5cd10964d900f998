/**
 * Answers are escaped straight into shared output slabs and leave as views of them: no Buffer, template or
 * array per answer or per session (bench/RESULTS.md, profile findings 4 and 5). A slab is only ever
 * appended to; when full, the next one is allocated and the old one lives on only in the views still
 * being written (as Node's own Buffer pool does). The answers of one session made in one synchronous
 * stretch (one read) form a run that leaves in one socket.write.
 */
import { encodeHeaderAndBody, type Header, type HeaderSpec } from '../../protocols/jt808/index.js';

/** Where a run of answers goes: the session's socket. */
export interface AnswerSink {
  sendAnswers(buf: Buffer, start: number, end: number): void;
}

/** 8 KiB, like Node's pool: a slab pinned by a peer that does not read costs no more than before. */
const SLAB_BYTES = 8192;
/** Worst case of an escaped 0x8001: 2019 header (17) + body (5) + checksum, all escaped, + 2 delimiters. */
const GENERAL_ROOM = 2 * 23 + 2;

export class AnswerOut {
  buf = Buffer.allocUnsafeSlow(SLAB_BYTES);
  at = 0;
  /** The open run: answers of `owner` in buf[runStart, runEnd), not written yet. */
  private owner: AnswerSink | null = null;
  private runBuf: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;

  /** Makes room for `n` bytes at `at` (a fresh slab when the current one is full); returns the slab. */
  room(n: number): Buffer {
    if (this.at + n > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, n));
      this.at = 0;
    }
    return this.buf;
  }

  /** Adds buf[start, end) to `sink`'s open run (answers written in one go by `flush`). */
  append(sink: AnswerSink, buf: Buffer, start: number, end: number): void {
    if (this.owner !== sink || this.runBuf !== buf || this.runEnd !== start) {
      this.flush();
      this.owner = sink;
      this.runBuf = buf;
      this.runStart = start;
    }
    this.runEnd = end;
  }

  /** Writes the open run, if `sink` (or, without an argument, anyone) has one. */
  flush(sink?: AnswerSink): void {
    const owner = this.owner;
    if (owner === null || (sink !== undefined && owner !== sink)) return;
    this.owner = null;
    const buf = this.runBuf!;
    this.runBuf = null;
    owner.sendAnswers(buf, this.runStart, this.runEnd);
  }

  /** Writes the 0x8001 answering `request` with `result` (SPEC §7.1): buf[start, at), start returned. */
  general(request: Header, serial: number, result: number): number {
    const b = this.room(GENERAL_ROOM);
    const start = this.at;
    let w = start + 1;
    b[w++] = 0x80;
    b[w++] = 0x01;
    b[w++] = request.versionFlag ? 0x40 : 0;
    b[w++] = 5; // body length
    if (request.layout === '2019') b[w++] = request.protocolVersion ?? 1;
    w = writeHex(b, w, request.phoneBcd, request.layout === '2019' ? 10 : 6);
    b[w++] = serial >> 8;
    b[w++] = serial;
    b[w++] = request.serial >> 8;
    b[w++] = request.serial;
    b[w++] = request.msgId >> 8;
    b[w++] = request.msgId;
    b[w++] = result;
    this.at = frameInPlace(b, start, w);
    return start;
  }

  /** Writes any other answer, header for `spec` + `body`: buf[start, at), start returned. */
  frame(spec: HeaderSpec, body: Uint8Array): number {
    const plain = encodeHeaderAndBody(spec, body);
    const b = this.room(2 * (plain.length + 1) + 2);
    const start = this.at;
    plain.copy(b, start + 1);
    this.at = frameInPlace(b, start, start + 1 + plain.length);
    return start;
  }
}

/** Phone BCD digits as sent (hex text, `bcdDigits`) back to `bytes` bytes, left-padded with zeros. */
function writeHex(b: Buffer, w: number, hex: string, bytes: number): number {
  const pad = bytes * 2 - hex.length;
  for (let i = 0; i < bytes * 2; i += 2) {
    const hi = i < pad ? 0 : nibble(hex.charCodeAt(i - pad));
    const lo = i + 1 < pad ? 0 : nibble(hex.charCodeAt(i + 1 - pad));
    b[w++] = (hi << 4) | lo;
  }
  return w;
}

function nibble(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

/**
 * Header + body sit unescaped at b[start + 1, end); adds the delimiters and checksum and escapes
 * (SPEC §3.1) in place, using the room after `end`. Returns the frame's end. Most answers need no escape.
 */
function frameInPlace(b: Buffer, start: number, end: number): number {
  let x = 0;
  let escapes = 0;
  for (let i = start + 1; i < end; i++) {
    const c = b[i];
    x ^= c;
    if (c === 0x7e || c === 0x7d) escapes++;
  }
  b[start] = 0x7e;
  if (escapes > 0) {
    // Shift right from the back, escaping on the way: each byte moves by the escapes before it.
    let r = end - 1;
    let w = end - 1 + escapes;
    while (r > start) {
      const c = b[r--];
      if (c === 0x7e || c === 0x7d) {
        b[w--] = c === 0x7e ? 0x02 : 0x01;
        b[w--] = 0x7d;
      } else b[w--] = c;
    }
    end += escapes;
  }
  if (x === 0x7e || x === 0x7d) {
    b[end++] = 0x7d;
    b[end++] = x === 0x7e ? 0x02 : 0x01;
  } else b[end++] = x;
  b[end++] = 0x7e;
  return end;
}
