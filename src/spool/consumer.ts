// A named reader of the spool with a persisted checkpoint. It reads durable records only, from its
// cursor (which starts at the checkpoint), and commits a position once everything up to it is safely
// stored downstream. After a restart it resumes from the checkpoint: delivery is at-least-once, and
// the sink's dedup token makes the replay exact.
import { checkRecord, HEADER_BYTES, recordDataLength, recordLength, recordStamp, wholeRecordsPrefix } from './record.js';
import { CheckpointFile } from './checkpoint.js';
import { closeQuietly, type SpoolIo } from './io.js';
import { segmentPath } from './segment.js';

export interface SpoolRecord {
  /** End position of the record: what `append` returned for it. `commit(position)` consumes it and all before. */
  position: number;
  stampMs: number;
  /** A view into a buffer allocated for this read: the spool never reuses or mutates it. */
  data: Buffer;
}

export interface ReadResult {
  records: SpoolRecord[];
  /** Position after the last record returned (the cursor); equals the old cursor when nothing was ready. */
  next: number;
}

/** Durable records as stored, back to back, for a worker to decode (see forEachRecord in record.ts). */
export interface RecordBatch {
  /** Whole framed records. Its ArrayBuffer belongs to this batch alone: transfer it to a worker. */
  bytes: Buffer;
  /** Global position of bytes[0]; a record ending at offset e ends at position start + e. */
  start: number;
  /** Position after the last record: commit(next) once all of them are stored. */
  next: number;
  count: number;
}

export interface SpoolConsumer {
  readonly name: string;
  /** Persisted position: everything before it is consumed. */
  readonly checkpoint: number;
  /** Where the next read starts (>= checkpoint). */
  readonly cursor: number;
  /**
   * Reads whole durable records from the cursor, about maxBytes of them (at least one record when
   * any is durable, even one larger than maxBytes), all from one segment, verifies their CRCs and
   * advances the cursor. Resolves with no records when caught up. One read at a time per consumer.
   * Costs a few hundred ns per record on the calling thread: high-rate sinks use readBatch.
   */
  read(maxBytes: number): Promise<ReadResult>;
  /**
   * Like read, but returns the raw records in one buffer, found by their length fields only: no
   * per-record objects and no CRC on this thread. The worker that decodes them checks each CRC
   * with forEachRecord. count 0 when caught up.
   */
  readBatch(maxBytes: number): Promise<RecordBatch>;
  /**
   * Persists `position` (a record end, <= durablePosition) as the checkpoint, atomically.
   * Positions at or below the current checkpoint are ignored; calls are applied in order.
   * Each costs an fdatasync that competes with the group commits: commit once per downstream
   * batch (e.g. per ClickHouse insert), not per read.
   */
  commit(position: number): Promise<void>;
  /** Moves the cursor back to the checkpoint, e.g. to replay after a failed downstream insert. */
  rewind(): void;
  /**
   * Resolves once at least minBytes past the cursor are durable, after timeoutMs (Infinity: no timer), or
   * when signal aborts; never rejects. Lets a reader sleep without polling and gather reads under load.
   */
  waitForData(minBytes: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
}

/** What a consumer needs from its spool; kept off the Spool's public surface. */
export interface ConsumerHost {
  readonly dir: string;
  readonly io: SpoolIo;
  durable(): number;
  /** Subscribes to durable-position advances; returns the unsubscribe function. */
  onDurable(fn: (durable: number) => void): () => void;
  tail(): number;
  /**
   * Where this process's own records begin (the head at open). Records past it were written by this process, CRC
   * included, moments before; their bytes are checked by length only (the CRC over every record cost ~0.1 µs per
   * message on the main thread). Records before it (written before a restart) are checked in full.
   */
  readonly writtenFrom: number;
  /** The segment holding pos: its start and the next segment's start (Infinity for the last one). */
  locate(pos: number): { start: number; end: number } | undefined;
  assertOpen(): void;
  committed(name: string, position: number): void;
}

export class SpoolCorruptError extends Error {
  readonly code = 'FG_SPOOL_CORRUPT';
  constructor(readonly position: number, detail: string) {
    super(`spool record at position ${position} is damaged: ${detail}`);
  }
}

async function readFully(io: SpoolIo, fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
  let got = 0;
  while (got < len) {
    const n = await io.read(fd, buf, got, len - got, pos + got);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

export class Consumer implements SpoolConsumer {
  private persisted: number;
  private pos: number;
  private reading = false;
  private fd = -1;
  private fdStart = -1;
  private chain: Promise<void> = Promise.resolve();
  private detached = false;
  private file: CheckpointFile | undefined;

  constructor(readonly name: string, checkpoint: number, private readonly host: ConsumerHost) {
    this.persisted = checkpoint;
    this.pos = Math.max(checkpoint, host.tail());
  }

  get checkpoint(): number {
    return this.persisted;
  }

  get cursor(): number {
    return this.pos;
  }

  rewind(): void {
    if (this.reading) throw new Error('spool consumer: rewind during a read');
    this.pos = Math.max(this.persisted, this.host.tail());
  }

  waitForData(minBytes: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const ready = (durable: number): boolean => durable - this.pos >= minBytes || this.detached;
    if (ready(this.host.durable()) || signal?.aborted === true || timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      // Checked on every group commit: a subtraction, no timer churn while data trickles in.
      const off = this.host.onDurable((durable) => {
        if (ready(durable)) done();
      });
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  async read(maxBytes: number): Promise<ReadResult> {
    const chunk = await this.fetch(maxBytes);
    const records: SpoolRecord[] = [];
    if (chunk === undefined) return { records, next: this.pos };
    const { buf, start, bytes } = chunk;
    let off = 0;
    const ownFrom = this.host.writtenFrom - start;
    while (off < bytes) {
      const r = off >= ownFrom ? recordLength(buf, off, bytes) : checkRecord(buf, off, bytes);
      if (r <= 0) {
        if (off === 0) throw new SpoolCorruptError(start, 'bad length or CRC');
        break; // deliver the good ones; the next read reports the damage
      }
      records.push({ position: start + off + r, stampMs: recordStamp(buf, off), data: buf.subarray(off + HEADER_BYTES, off + r) });
      off += r;
    }
    this.pos = start + off;
    return { records, next: this.pos };
  }

  async readBatch(maxBytes: number): Promise<RecordBatch> {
    const chunk = await this.fetch(maxBytes);
    if (chunk === undefined) return { bytes: Buffer.alloc(0), start: this.pos, next: this.pos, count: 0 };
    this.pos = chunk.start + chunk.bytes;
    return { bytes: chunk.buf.subarray(0, chunk.bytes), start: chunk.start, next: this.pos, count: chunk.count };
  }

  /**
   * Reads whole records (by length) from the cursor without moving it: undefined when caught up.
   * The buffer is unpooled, so its ArrayBuffer can be transferred.
   */
  private async fetch(maxBytes: number): Promise<{ buf: Buffer; start: number; bytes: number; count: number } | undefined> {
    this.assertUsable();
    if (this.reading) throw new Error(`spool consumer ${this.name}: a read is already in progress`);
    this.reading = true;
    try {
      for (;;) {
        const limit = this.host.durable();
        const pos = this.pos;
        if (pos >= limit) return undefined;
        const seg = this.host.locate(pos);
        if (seg === undefined) {
          // Below the oldest segment (removed by hand?): nothing to read there, start at the oldest.
          this.pos = this.host.tail();
          if (this.pos <= pos) throw new SpoolCorruptError(pos, 'no segment holds this position');
          continue;
        }
        const avail = Math.min(limit, seg.end) - pos;
        const want = Math.min(Math.max(maxBytes, HEADER_BYTES), avail);
        const fd = await this.fdFor(seg.start);
        const fileOff = pos - seg.start;
        const buf = Buffer.allocUnsafeSlow(want);
        const n = await readFully(this.host.io, fd, buf, want, fileOff);
        const whole = wholeRecordsPrefix(buf, n);
        if (whole.count > 0) return { buf, start: pos, bytes: whole.bytes, count: whole.count };
        if (n < HEADER_BYTES) {
          // The file ends before its successor starts: bytes lost before a restart left a gap. Skip it.
          if (n === 0 && seg.end !== Infinity && seg.end <= limit) {
            this.pos = seg.end;
            continue;
          }
          throw new SpoolCorruptError(pos, `file ends ${n} bytes into a durable record header`);
        }
        // One record larger than maxBytes: read it whole.
        const need = HEADER_BYTES + recordDataLength(buf, 0);
        if (need > avail) throw new SpoolCorruptError(pos, `length ${need} runs past durable data`);
        const big = Buffer.allocUnsafeSlow(need);
        if ((await readFully(this.host.io, fd, big, need, fileOff)) !== need) {
          throw new SpoolCorruptError(pos, 'file ends inside a durable record');
        }
        return { buf: big, start: pos, bytes: need, count: 1 };
      }
    } finally {
      this.reading = false;
    }
  }

  private async fdFor(start: number): Promise<number> {
    if (this.fdStart === start) return this.fd;
    await this.closeSegment();
    this.fd = await this.host.io.open(segmentPath(this.host.dir, start), 'r');
    this.fdStart = start;
    return this.fd;
  }

  commit(position: number): Promise<void> {
    try {
      this.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (!Number.isSafeInteger(position) || position < 0 || position > this.host.durable()) {
      return Promise.reject(
        new RangeError(`spool commit(${position}): must be a record end <= durablePosition ${this.host.durable()}`),
      );
    }
    // In order, one at a time: the temp file is per consumer, and checkpoints must never go back.
    const run = this.chain.then(async () => {
      if (position <= this.persisted) return;
      const { io, dir } = this.host;
      this.file ??= await CheckpointFile.open(io, dir, this.name);
      if (this.file === undefined) this.file = await CheckpointFile.create(io, dir, this.name, position);
      else await this.file.update(position);
      this.persisted = position;
      if (this.pos < position) this.pos = position;
      this.host.committed(this.name, position);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private assertUsable(): void {
    this.host.assertOpen();
    if (this.detached) throw new Error(`spool consumer ${this.name} was removed`);
  }

  /** After removeConsumer: further reads and commits throw. */
  detach(): void {
    this.detached = true;
  }

  /** Closes the files (the spool is closing or the consumer was removed). */
  async dispose(): Promise<void> {
    await this.closeSegment();
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  private async closeSegment(): Promise<void> {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      this.fdStart = -1;
      await closeQuietly(this.host.io, fd);
    }
  }

  settled(): Promise<void> {
    return this.chain;
  }
}
