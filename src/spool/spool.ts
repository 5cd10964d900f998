// The spool: append into a fixed write buffer, group commit it to segment files, serve consumers,
// delete what every consumer has passed, and tell the gateway when to pause. Contract in index.ts;
// comments here say why the code is shaped as it is.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HEADER_BYTES, sealRecord } from './record.js';
import { segmentPath } from './segment.js';
import { removeCheckpoint, assertConsumerName } from './checkpoint.js';
import { acquireLock } from './lock.js';
import { errorCode, fsyncDir, nodeIo, type SpoolIo } from './io.js';
import { WriteBuffer } from './write-buffer.js';
import { SegmentWriter, type Segment } from './segment-writer.js';
import { recover, type RecoveryReport } from './recover.js';
import { normalizeOptions, type SpoolConfig, type SpoolOptions } from './options.js';
import { Consumer, type ConsumerHost, type SpoolConsumer } from './consumer.js';

export type HighWaterReason = 'unconsumed' | 'pending' | 'error';

export interface SpoolEvents {
  /** Stop reading sockets. Fired once per paused period, with the reason that started it. */
  'high-water': [reason: HighWaterReason];
  /** Every reason cleared: resume. */
  'low-water': [];
  /** A disk or cleanup error; the spool keeps retrying. Emitted only when someone listens. */
  error: [err: Error];
  /** A group commit succeeded after errors: durability is back. */
  recovered: [];
}

export interface SpoolStats {
  appends: number;
  appendedBytes: number;
  /** append calls refused (buffer full, record too large, closing). */
  refused: number;
  /** Successful fdatasync calls on segment files. */
  fsyncs: number;
  /** Write buffers made durable. */
  groupCommits: number;
  /** Failed write/fsync attempts. */
  diskErrors: number;
  deletedSegments: number;
  segments: number;
  headPosition: number;
  durablePosition: number;
  unconsumedBytes: number;
}

type DurableListener = (durablePosition: number) => void;

interface Waiter {
  target: number;
  resolve: (durable: number) => void;
  reject: (err: Error) => void;
}

function closedError(): Error {
  return Object.assign(new Error('spool is closed'), { code: 'FG_SPOOL_CLOSED' });
}

export class Spool extends EventEmitter<SpoolEvents> {
  /** What open() found and repaired. */
  readonly recovery: RecoveryReport;

  private readonly cfg: SpoolConfig;
  private readonly io: SpoolIo;
  private readonly writer: SegmentWriter;
  private readonly segments: Segment[];
  private readonly releaseLock: () => Promise<void>;
  // Write-buffer thresholds: pause sockets when one buffer is half full (room for what is already
  // in flight), resume once the disk has caught up to a quarter; commit early at a quarter so big
  // groups do not wait for the timer.
  private readonly pendingHigh: number;
  private readonly pendingLow: number;
  private readonly flushEarly: number;

  private head: number;
  private durable: number;
  /** Start of the segment the head is in: may be a roll point not yet created on disk. */
  private headSegStart: number;

  private fill: WriteBuffer;
  private spare: WriteBuffer | null;
  /** The buffer being written, or kept after a failure until a retry succeeds. */
  private outgoing: WriteBuffer | null = null;
  private inflight: Promise<void> | null = null;
  private lastFlushAt = -Infinity;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushImmediate: NodeJS.Immediate | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private closing = false;
  private closePromise: Promise<void> | null = null;

  /** Replaced, never mutated, so a listener may unsubscribe while they are being called. */
  private durableListeners: DurableListener[] = [];
  private waiters: Waiter[] = [];

  private readonly checkpoints: Map<string, number>;
  private readonly consumers = new Map<string, Consumer>();
  private readonly host: ConsumerHost;
  /** Slowest checkpoint (or the tail without consumers): unconsumed = head - floor. */
  private floor = 0;
  private cleanupQueued: Promise<void> | null = null;
  private cleanupTail: Promise<void> = Promise.resolve();

  private overUnconsumed = false;
  private overPending = false;
  private paused = false;

  private appends = 0;
  private appendedBytes = 0;
  private refused = 0;
  private groupCommits = 0;
  private diskErrors = 0;
  private deletedSegments = 0;

  private constructor(
    cfg: SpoolConfig,
    io: SpoolIo,
    releaseLock: () => Promise<void>,
    r: Awaited<ReturnType<typeof recover>>,
  ) {
    super();
    this.cfg = cfg;
    this.io = io;
    this.releaseLock = releaseLock;
    this.recovery = r.report;
    this.segments = r.segments;
    this.writer = new SegmentWriter(io, cfg.dir, r.segments, r.fd);
    this.head = r.head;
    this.durable = r.head;
    this.headSegStart = r.segments[r.segments.length - 1].start;
    this.pendingHigh = cfg.bufferBytes >> 1;
    this.pendingLow = cfg.bufferBytes >> 2;
    this.flushEarly = cfg.bufferBytes >> 2;
    this.fill = new WriteBuffer(cfg.bufferBytes);
    this.fill.reset(r.head);
    this.spare = new WriteBuffer(cfg.bufferBytes);
    this.checkpoints = r.checkpoints;
    this.host = {
      dir: cfg.dir,
      io,
      durable: () => this.durable,
      onDurable: (fn) => this.onDurable(fn),
      tail: () => this.segments[0].start,
      writtenFrom: r.head,
      locate: (pos) => this.locate(pos),
      assertOpen: () => {
        if (this.closing) throw closedError();
      },
      committed: (name, position) => this.committed(name, position),
    };
    this.recomputeFloor();
    if (cfg.retentionMs > 0) {
      this.retentionTimer = setInterval(() => void this.cleanup().catch(() => undefined), cfg.retentionCheckMs);
      this.retentionTimer.unref();
    }
  }

  /** Opens (or creates) the spool in opts.dir, takes its lock, and repairs a torn tail. */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const cfg = normalizeOptions(opts);
    const io: SpoolIo = { ...nodeIo, ...opts.io };
    await io.mkdir(cfg.dir);
    // A directory made just now must survive power loss too (best effort: the parent may be read-only).
    await fsyncDir(io, path.dirname(path.resolve(cfg.dir))).catch(() => undefined);
    const releaseLock = await acquireLock(io, cfg.dir);
    let recovered;
    try {
      recovered = await recover(io, cfg.dir, cfg.retentionMs > 0);
    } catch (err) {
      await releaseLock();
      throw err;
    }
    const spool = new Spool(cfg, io, releaseLock, recovered);
    await spool.cleanup().catch(() => undefined); // retried after the next commit
    return spool;
  }

  // ---- append: the hot path -------------------------------------------------------------------

  /**
   * Copies one record into the write buffer and returns its end position, or -1 when refused:
   * write buffer full (disk slow or failing; 'high-water' says so), record larger than
   * maxRecordBytes, or closing. No allocation and no I/O: the group commit runs later, off thread.
   */
  append(data: Uint8Array, stampMs: number): number {
    const at = this.reserve(data.length);
    if (at < 0) return -1;
    this.fill.buf.set(data, at);
    return this.seal(data.length, stampMs);
  }

  /**
   * `append` in two steps, for a caller that writes the data in place (the gateway: one copy instead of
   * two): room for a record of `length` data bytes, returned as the offset in `reservedBuffer` where the
   * data goes, or -1 when refused (as append). Nothing is accepted until `seal`, which must follow before
   * the event loop turns: the group commit swaps the write buffer.
   */
  reserve(length: number): number {
    const recLen = HEADER_BYTES + length;
    const fill = this.fill;
    if (fill.len + recLen > fill.buf.length || this.closing) return this.refuse(recLen);
    return fill.len + HEADER_BYTES;
  }

  /** The buffer `reserve` returns offsets into (until the event loop turns). */
  get reservedBuffer(): Buffer {
    return this.fill.buf;
  }

  /** Accepts the record `reserve(length)` made room for, its data written; returns its end position. */
  seal(length: number, stampMs: number): number {
    const recLen = HEADER_BYTES + length;
    const fill = this.fill;
    if (fill.len + recLen > fill.buf.length) throw new RangeError(`spool seal of ${length} bytes without a reserve`);
    // Records never span files: one that would overflow the segment starts the next.
    if (this.head > this.headSegStart && this.head - this.headSegStart + recLen > this.cfg.segmentBytes) {
      fill.rolls.push(this.head);
      this.headSegStart = this.head;
    }
    sealRecord(fill.buf, fill.len, length, stampMs);
    fill.len += recLen;
    this.head += recLen;
    this.appends++;
    this.appendedBytes += recLen;
    if (fill.len >= this.flushEarly) {
      if (fill.len >= this.pendingHigh && !this.overPending) this.raise('pending');
      if (this.inflight === null && this.failure === null) this.startFlush();
    } else if (this.flushTimer === null && this.flushImmediate === null && this.inflight === null) {
      this.schedule();
    }
    if (!this.overUnconsumed && this.head - this.floor >= this.cfg.maxUnconsumedBytes) this.raise('unconsumed');
    return this.head;
  }

  private refuse(recLen: number): number {
    this.refused++;
    // Closing, or too big for any buffer: the caller's problem, not a reason to pause everyone.
    if (this.closing || recLen > this.fill.buf.length) return -1;
    if (!this.overPending) this.raise('pending');
    if (this.inflight === null && this.failure === null) this.startFlush();
    return -1;
  }

  // ---- public state ----------------------------------------------------------------------------

  /** Every byte before this position is written and fdatasync'ed. */
  get durablePosition(): number {
    return this.durable;
  }

  /** End of the last accepted record. */
  get headPosition(): number {
    return this.head;
  }

  /** Start of the oldest segment kept (archive included). */
  get tailPosition(): number {
    return this.segments[0].start;
  }

  /** head minus the slowest consumer's checkpoint (minus the tail when there is no consumer). */
  get unconsumedBytes(): number {
    return this.head - this.floor;
  }

  /** True between 'high-water' and 'low-water'. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** The disk error being retried, or null while writes are healthy. */
  get lastError(): Error | null {
    return this.failure;
  }

  /** Largest data length append can accept. */
  get maxRecordBytes(): number {
    return this.cfg.bufferBytes - HEADER_BYTES;
  }

  stats(): SpoolStats {
    return {
      appends: this.appends,
      appendedBytes: this.appendedBytes,
      refused: this.refused,
      fsyncs: this.writer.fsyncs,
      groupCommits: this.groupCommits,
      diskErrors: this.diskErrors,
      deletedSegments: this.deletedSegments,
      segments: this.segments.length,
      headPosition: this.head,
      durablePosition: this.durable,
      unconsumedBytes: this.head - this.floor,
    };
  }

  /**
   * Calls fn(durablePosition) after every fdatasync that advances the durable position: in order,
   * strictly increasing, each a record end. Returns a function that unsubscribes.
   */
  onDurable(fn: DurableListener): () => void {
    this.durableListeners = [...this.durableListeners, fn];
    return () => {
      this.durableListeners = this.durableListeners.filter((l) => l !== fn);
    };
  }

  /**
   * Commits now (without waiting for the interval; while failing, retries now) and resolves with
   * the durable position once everything appended before the call is durable. Rejects with the
   * disk error if that commit fails (the spool keeps retrying on its own), or if the spool closes.
   */
  flush(): Promise<number> {
    if (this.closing) return Promise.reject(closedError());
    const target = this.head;
    if (this.durable >= target) return Promise.resolve(this.durable);
    return new Promise<number>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      this.startFlush();
    });
  }

  // ---- group commit ----------------------------------------------------------------------------

  private schedule(): void {
    if (this.fill.len === 0 || this.closing || this.failure !== null) return;
    if (this.inflight !== null || this.flushTimer !== null || this.flushImmediate !== null) return;
    const wait = this.lastFlushAt + this.cfg.fsyncIntervalMs - performance.now();
    // setImmediate rather than setTimeout(0), which is 1 ms: frames read in this turn still join.
    if (wait <= 0) this.flushImmediate = setImmediate(this.onTimer);
    else this.flushTimer = setTimeout(this.onTimer, Math.ceil(wait));
  }

  private readonly onTimer = (): void => {
    this.flushTimer = null;
    this.flushImmediate = null;
    this.startFlush();
  };

  private cancelTimers(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.flushImmediate !== null) clearImmediate(this.flushImmediate);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.flushTimer = null;
    this.flushImmediate = null;
    this.retryTimer = null;
  }

  private startFlush(): void {
    if (this.inflight !== null) return;
    this.cancelTimers();
    this.inflight = this.runFlush().then(this.afterFlush);
  }

  private readonly afterFlush = (): void => {
    this.inflight = null;
    if (this.closing) return; // close() drives the last commits itself
    if (this.failure !== null) {
      this.retryTimer = setTimeout(this.onTimer, this.cfg.retryIntervalMs);
      return;
    }
    if (this.fill.len >= this.flushEarly || (this.waiters.length > 0 && this.fill.len > 0)) this.startFlush();
    else this.schedule();
  };

  /** One group commit: the failed buffer if there is one, else the fill buffer. Never rejects. */
  private async runFlush(): Promise<void> {
    let wb = this.outgoing;
    if (wb === null) {
      if (this.fill.len === 0 || this.spare === null) return;
      wb = this.fill;
      this.outgoing = wb;
      this.fill = this.spare;
      this.spare = null;
      this.fill.reset(this.head);
    }
    this.lastFlushAt = performance.now();
    try {
      await this.writer.write(wb, this.durable, this.advanceDurable);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.outgoing = null;
    this.spare = wb;
    this.groupCommits++;
  }

  // Called by the writer between fsyncs: a throwing listener must not look like a disk error.
  private readonly advanceDurable = (pos: number): void => {
    this.durable = pos;
    // State first, so listeners and waiters see the spool as it now is.
    const recovered = this.failure !== null;
    this.failure = null;
    if (this.overPending && this.head - pos <= this.pendingLow) this.overPending = false;
    try {
      if (recovered) this.emit('recovered');
    } catch (err) {
      this.report(err);
    }
    if (this.paused) this.updatePaused('error');
    const ls = this.durableListeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i](pos);
      } catch (err) {
        this.report(err);
      }
    }
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.target <= pos) w.resolve(pos);
        else still.push(w);
      }
      this.waiters = still;
    }
  };

  private fail(err: Error): void {
    this.diskErrors++;
    const first = this.failure === null;
    this.failure = err;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
    this.report(err);
    if (first) this.updatePaused('error');
    // The disk is full: free what consumers have passed now, archive included (see cleanOnce).
    if (errorCode(err) === 'ENOSPC') this.cleanup().catch(() => undefined);
  }

  /** 'error' with no listener would throw inside an fs callback and kill the gateway: emit only when heard. */
  private report(err: unknown): void {
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    } catch {
      // a throwing 'error' listener must not stall the commit loop that called us
    }
  }

  // ---- backpressure ----------------------------------------------------------------------------

  private raise(reason: 'unconsumed' | 'pending'): void {
    if (reason === 'unconsumed') this.overUnconsumed = true;
    else this.overPending = true;
    this.updatePaused(reason);
  }

  private updatePaused(reason: HighWaterReason): void {
    const over = this.overUnconsumed || this.overPending || this.failure !== null;
    if (over === this.paused) return;
    this.paused = over;
    try {
      if (over) this.emit('high-water', reason);
      else this.emit('low-water');
    } catch (err) {
      this.report(err); // runs inside append and the commit loop: a listener bug must not break them
    }
  }

  // ---- consumers and cleanup -------------------------------------------------------------------

  /**
   * The consumer called `name` ([A-Za-z0-9][A-Za-z0-9_.-]{0,63}): resumes from its persisted
   * checkpoint, or starts at the oldest kept record. Same object for the same name. A new consumer
   * holds back cleanup from the moment it exists, even before its first commit.
   */
  consumer(name: string): SpoolConsumer {
    if (this.closing) throw closedError();
    assertConsumerName(name);
    let c = this.consumers.get(name);
    if (c === undefined) {
      const cp = this.checkpoints.get(name) ?? this.segments[0].start;
      this.checkpoints.set(name, cp);
      c = new Consumer(name, cp, this.host);
      this.consumers.set(name, c);
      this.recomputeFloor();
    }
    return c;
  }

  /** Every consumer with a checkpoint, persisted or created in this process. */
  consumerNames(): string[] {
    return [...this.checkpoints.keys()];
  }

  /** Forgets a consumer and deletes its checkpoint, so it no longer holds segments back. */
  async removeConsumer(name: string): Promise<void> {
    if (this.closing) throw closedError();
    assertConsumerName(name);
    const c = this.consumers.get(name);
    if (c !== undefined) {
      c.detach();
      await c.settled();
      await c.dispose();
      this.consumers.delete(name);
    }
    await removeCheckpoint(this.io, this.cfg.dir, name);
    this.checkpoints.delete(name);
    this.recomputeFloor();
    this.checkUnconsumedLow();
    await this.cleanup();
  }

  private committed(name: string, position: number): void {
    this.checkpoints.set(name, position);
    this.recomputeFloor();
    this.checkUnconsumedLow();
    this.cleanup().catch(() => undefined); // cleanOnce reports its errors
  }

  private recomputeFloor(): void {
    let floor = Infinity;
    for (const cp of this.checkpoints.values()) if (cp < floor) floor = cp;
    // No consumer: nothing has been consumed, everything kept counts.
    this.floor = floor === Infinity ? this.segments[0].start : Math.max(floor, this.segments[0].start);
  }

  private checkUnconsumedLow(): void {
    if (this.overUnconsumed && this.head - this.floor <= this.cfg.lowUnconsumedBytes) {
      this.overUnconsumed = false;
      this.updatePaused('unconsumed');
    }
  }

  private locate(pos: number): { start: number; end: number } | undefined {
    const segs = this.segments;
    if (segs.length === 0 || pos < segs[0].start) return undefined;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].start <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { start: segs[lo].start, end: lo + 1 < segs.length ? segs[lo + 1].start : Infinity };
  }

  /**
   * Deletes segments every consumer has passed, once older than rawRetentionDays. Runs after each
   * commit and on a timer; overlapping calls share one pass. Never deletes the active segment.
   */
  cleanup(): Promise<void> {
    if (this.closing) return this.cleanupTail;
    if (this.cleanupQueued !== null) return this.cleanupQueued;
    const run = this.cleanupTail.then(() => {
      this.cleanupQueued = null;
      return this.cleanOnce();
    });
    this.cleanupQueued = run;
    this.cleanupTail = run.catch(() => undefined);
    return run;
  }

  private async cleanOnce(): Promise<void> {
    if (this.checkpoints.size === 0) return; // nobody has consumed anything
    const now = Date.now();
    const segs = this.segments;
    // On a full disk the raw archive yields to new records: it holds only consumed data, and
    // keeping it would stall ingestion until it expired.
    const keepMs = errorCode(this.failure) === 'ENOSPC' ? 0 : this.cfg.retentionMs;
    while (segs.length > 1 && segs[1].start <= this.floor) {
      const seg = segs[0];
      if (keepMs > 0 && now - seg.closedAtMs < keepMs) break; // later ones are younger
      try {
        await this.io.unlink(segmentPath(this.cfg.dir, seg.start));
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') {
          this.report(err);
          throw err;
        }
      }
      // No directory fsync: a deletion undone by power loss leaves only a consumed segment behind.
      segs.shift();
      this.deletedSegments++;
    }
    this.recomputeFloor();
  }

  // ---- close -----------------------------------------------------------------------------------

  /**
   * Stops accepting appends, commits everything accepted, closes files, releases the lock. If the
   * disk still fails (after one more attempt) it rejects with that error: those records were
   * never reported durable. Idempotent.
   */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.cancelTimers();
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    if (this.inflight !== null) await this.inflight;
    // Already failing: one more attempt. Healthy: up to two (the failed buffer, then the rest).
    let attemptsLeft = this.failure !== null ? 1 : 2;
    while ((this.outgoing !== null || this.fill.len > 0) && attemptsLeft > 0) {
      await this.runFlush();
      if (this.failure !== null) attemptsLeft--;
    }
    const err = this.failure;
    await this.cleanupTail;
    for (const c of this.consumers.values()) {
      await c.settled();
      await c.dispose();
    }
    await this.writer.close();
    for (const w of this.waiters) w.reject(err ?? closedError());
    this.waiters = [];
    await this.releaseLock();
    if (err !== null) throw err;
  }
}
