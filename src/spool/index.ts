/**
 * The spool: an on-disk, append-only log between the TCP socket and ClickHouse.
 *
 * Every accepted frame is appended (copied into a preallocated write buffer); a group commit
 * writes the buffer to the current segment file and fdatasync's it every `fsyncIntervalMs`
 * (default 2 ms, or sooner when the buffer fills). Positions are global byte offsets that only
 * grow; a record's position is its END offset, so "durablePosition >= p" means "record p is on disk".
 *
 * ```ts
 * const spool = await Spool.open({ dir: './data/spool' });
 *
 * // gateway, per frame (main thread, no allocation, no I/O):
 * const p = spool.append(frame, Date.now());     // -1: refused (buffer full / disk failing / closing)
 * //   ack=received: answer now.
 * //   ack=durable:  acks.push(p, session); answer once a durable position >= p is reported:
 * spool.onDurable((durable) => acks.drain(durable, sendAnswer)); // after each fdatasync, in order
 * spool.on('high-water', (reason) => pauseAllSockets());  // 'unconsumed' | 'pending' | 'error'
 * spool.on('low-water', () => resumeAllSockets());
 * spool.on('error', (err) => { log; count });      // disk errors; retried every retryIntervalMs
 * spool.on('recovered', () => { ... });            // group commits succeed again
 *
 * // sink:
 * const c = spool.consumer('sink');               // resumes at its persisted checkpoint
 * const batch = await c.readBatch(1 << 20);       // durable records, raw; cursor advances
 * pool.run(batch, { transferList: [batch.bytes.buffer] }); // worker: forEachRecord(bytes, ...) checks CRCs
 * ...rows safely stored downstream, then:
 * await c.commit(batch.next);                      // atomic checkpoint; once per downstream batch
 * // on insert failure: c.rewind() and read again (at-least-once; the sink dedups).
 * // c.read(maxBytes) gives { records: [{ position, stampMs, data }], next } instead: simpler, but
 * // a few hundred ns per record on the calling thread.
 *
 * await spool.close();                              // commits what was accepted, releases the lock
 * ```
 *
 * Public API:
 * - `Spool.open(opts: SpoolOptions): Promise<Spool>` — locks the directory (one process), scans the
 *   last segment, truncates a torn or damaged tail (`spool.recovery` says what it found).
 * - `append(data: Uint8Array, stampMs: number): number` — end position, or -1 if refused.
 * - `reserve(length: number): number` + `seal(length, stampMs): number` — the same in two steps, for a
 *   caller that writes the data straight into `reservedBuffer` at the offset reserve returns (no copy).
 * - `durablePosition`, `headPosition`, `tailPosition`, `unconsumedBytes`, `isPaused`, `lastError`,
 *   `maxRecordBytes` (getters); `stats(): SpoolStats` (counters for metrics).
 * - `onDurable(fn: (durablePosition: number) => void): () => void` — returns an unsubscribe.
 * - `flush(): Promise<number>` — commit now; resolves once everything appended so far is durable,
 *   rejects if that commit fails (never hangs on a broken disk).
 * - `consumer(name: string): SpoolConsumer`, `consumerNames(): string[]`,
 *   `removeConsumer(name: string): Promise<void>`, `cleanup(): Promise<void>`.
 * - `close(): Promise<void>` — rejects if the disk still fails (those records were never durable).
 * - events: 'high-water' (reason), 'low-water', 'error' (Error; emitted only when listened to),
 *   'recovered'.
 * - `SpoolConsumer`: `name`, `checkpoint`, `cursor`, `read(maxBytes): Promise<ReadResult>`,
 *   `readBatch(maxBytes): Promise<RecordBatch>`, `commit(position): Promise<void>`, `rewind(): void`,
 *   `waitForData(minBytes, timeoutMs, signal?): Promise<void>` — sleep until records are durable, no polling.
 *   `read` checks the CRC of records written before this open (a restart: bit rot, a bad copy) and frames this
 *   run's own records by length only: they were CRC'd as they were written, moments before.
 * - `forEachRecord(buf, end, fn(stampMs, dataStart, dataEnd, recordEnd)): number` — walks and
 *   CRC-checks a batch in a worker without allocating.
 * - `DurableQueue<T>`: `push(position, item)`, `drain(durable, fn): number`, `length` — the
 *   allocation-free FIFO for ack=durable answers (see durable-queue.ts).
 *
 * Guarantees:
 * - Never reports durable what is not fdatasync'ed: durablePosition advances only after the fsync
 *   covering it (and, for a new segment, after the directory fsync naming it).
 * - Disk errors (ENOSPC, EIO): the spool pauses ('high-water' reason 'error'), keeps the failed
 *   group in memory, and retries: reopen the file, truncate to the durable offset, rewrite, fsync.
 *   Appends keep being accepted into the bounded buffer until it is full, then refused.
 * - Memory is fixed at open: two write buffers of maxPendingBytes / 2. Disk use is bounded by
 *   backpressure: past maxUnconsumedBytes 'high-water', at lowWaterRatio of it 'low-water'.
 *   Appends are not refused for being over high water: the gateway is expected to pause.
 * - Crash: every record reported durable is readable after reopen; records written but not yet
 *   fsync'ed may survive too (at-least-once: the terminal may resend, the sink dedups).
 * - Segments behind every consumer's checkpoint are deleted, or kept rawRetentionDays (by mtime)
 *   as a raw archive first. With no consumer at all, nothing is deleted. On ENOSPC the archive is
 *   deleted early (it holds only consumed data) so that ingestion can resume.
 * - Checkpoints: created atomically (temp file, fsync, rename, fsync dir), then updated in place in
 *   two CRC'd slots (see checkpoint.ts), so a sink can still commit on a full disk and free space.
 * - One process per directory (`LOCK` file with the owner's pid; a dead owner's lock is taken over).
 *
 * Zero-copy contract: append copies `data` before returning, so the caller may reuse its buffer
 * (a splitter view) at once. Records from read() are views into a buffer made for that read.
 *
 * Layout on disk: `<16-digit start position>.seg` segment files ([u32 crc32][u32 len][f64 stampMs]
 * [data] records, see record.ts), `<consumer>.ckpt` checkpoints (text, readable with cat), `LOCK`.
 *
 * Modules: record.ts (framing), crc32.ts, segment.ts (names, tail scan), segment-writer.ts (write +
 * fdatasync, rolls, rewrite after errors), write-buffer.ts, recover.ts (open), checkpoint.ts,
 * consumer.ts, lock.ts, io.ts (fs seam for fault injection), options.ts, durable-queue.ts, spool.ts.
 */
export { Spool } from './spool.js';
export type { SpoolEvents, SpoolStats, HighWaterReason } from './spool.js';
export type { SpoolOptions } from './options.js';
export type { RecoveryReport } from './recover.js';
export { SpoolCorruptError } from './consumer.js';
export { DurableQueue } from './durable-queue.js';
export type { SpoolConsumer, SpoolRecord, ReadResult, RecordBatch } from './consumer.js';
export { nodeIo } from './io.js';
export type { SpoolIo, FileInfo } from './io.js';
export { HEADER_BYTES as RECORD_HEADER_BYTES, forEachRecord } from './record.js';
