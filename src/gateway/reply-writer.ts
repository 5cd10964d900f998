/**
 * Answers are escaped straight into shared output slabs and leave as views of them: no Buffer, template or
 * array per answer or per session (bench/RESULTS.md, profile findings 4 and 5). A slab is only ever
 * appended to; when full, the next one is allocated and the old one lives on only in the views still
 * being written (as Node's own Buffer pool does). The answers of one session made in one synchronous
 * stretch (one read) form a run that leaves in one socket.write.
 */
import { encodeHeaderAndBody, wrapFrameInPlace, writeBcd, type Header, type HeaderSpec, type PhoneCache } from '../../protocols/jt808/index.js';

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

  /**
   * Writes the 0x8001 answering `request` with `result` (SPEC §7.1): buf[start, at), start returned.
   * `phones`: the connection's cache, which copies the phone's bytes when it holds the request's.
   */
  general(request: Header, serial: number, result: number, phones?: PhoneCache): number {
    const b = this.room(GENERAL_ROOM);
    const start = this.at;
    let w = start + 1;
    b[w++] = 0x80;
    b[w++] = 0x01;
    b[w++] = request.versionFlag ? 0x40 : 0;
    b[w++] = 5; // body length
    if (request.layout === '2019') b[w++] = request.protocolVersion ?? 1;
    const phoneBytes = request.layout === '2019' ? 10 : 6;
    if (phones === undefined || !phones.writeBytes(b, w, request.phoneBcd, phoneBytes)) writeBcd(b, w, request.phoneBcd, phoneBytes);
    w += phoneBytes;
    b[w++] = serial >> 8;
    b[w++] = serial;
    b[w++] = request.serial >> 8;
    b[w++] = request.serial;
    b[w++] = request.msgId >> 8;
    b[w++] = request.msgId;
    b[w++] = result;
    this.at = wrapFrameInPlace(b, start, w);
    return start;
  }

  /** Writes any other answer, header for `spec` + `body`: buf[start, at), start returned. */
  frame(spec: HeaderSpec, body: Uint8Array): number {
    const plain = encodeHeaderAndBody(spec, body);
    const b = this.room(2 * (plain.length + 1) + 2);
    const start = this.at;
    plain.copy(b, start + 1);
    this.at = wrapFrameInPlace(b, start, start + 1 + plain.length);
    return start;
  }
}
