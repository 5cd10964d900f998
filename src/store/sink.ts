/**
 * The sink: spool records → decode (injected; worker threads in production, which also validate and encode the
 * positions: encode-positions.ts) → one insert per table per batch (by rows or ~1 s) → checkpoint. A batch's
 * positions body is the concatenation of its reads' bodies. The checkpoint moves only after every insert of the
 * batch succeeded.
 *
 * Exactly once, in three layers:
 *  1. Retry of a batch: its bodies are frozen before the first attempt and sent with an
 *     `insert_deduplication_token` = sink name + batch end position + sha256 of the body. A retry after a
 *     timeout (the first attempt may have landed) is dropped by the server; a different body can never share
 *     a token, so no data is ever dropped by a stale token (CLICKHOUSE.md §2.4).
 *  2. Replay after a crash: each batch's end position is logged (ingest_batches) *before* its inserts. After
 *     a restart the sink cuts its first batches at the logged positions, so the replayed batches are
 *     byte-identical to the ones that may have landed, and their tokens dedupe them.
 *  3. Anything else (a replay batched differently, a terminal's resend, a server without tokens such as
 *     18.16): the ReplacingMergeTree keys (terminal, ts) and (terminal, ts, on) collapse the copies, and every
 *     query reads through LIMIT 1 BY / dt > 0 so the copies are invisible before the merge.
 *
 * ClickHouse slow or down: each step retries with backoff; reading stops (the spool absorbs the backlog)
 * and `stats().lagSeconds` grows with the age of the oldest row not yet committed.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Db, InsertFormat } from './db.js';
import { encodeRows, ignitionCodec, positionCodec, type EncodedBody, type RowCodec, type TextFormat } from './encode.js';
import { abortableSleep, retryForever, type BackoffOptions } from './backoff.js';
import { addMarks, MARK_CODEC } from './late-marks.js';
import { positionRowBinary } from './position-row-binary.js';
import type { DecodedBatch, EncodeContext, IgnitionEventRow, LateMark, TerminalRow } from './rows.js';
import { INGEST_BATCHES, ROLLUP_DIRTY, TERMINALS } from './schema.js';
import { Zone } from './timezone.js';

/** The spool consumer API. `read` returns whole records from the current position; `next` is the position after them. */
export interface SpoolSource<R, P> {
  read(maxBytes: number): Promise<{ records: R[]; next: P }>;
  commit(position: P): Promise<void>;
  /** Resolves once minBytes more are readable, after timeoutMs (Infinity: none) or on abort. Without it the sink polls. */
  waitForData?(minBytes: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** Decodes one read; `ctx` says how to encode its positions for this sink's server (rowDecode adapts row objects). */
export type DecodeFn<R> = (records: R[], ctx: EncodeContext) => Promise<DecodedBatch>;

export interface SinkLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface SinkOptions<R, P> {
  db: Db;
  source: SpoolSource<R, P>;
  decode: DecodeFn<R>;
  /** Stable name of this sink (one per spool): keys the intent log and the dedup tokens. */
  name: string;
  /** Position → stable string (default `String(p)`, or JSON for objects). */
  positionKey?: (p: P) => string;
  /** Flush at this many rows (positions + events). Default 50 000: draining a backlog in big inserts costs ~25 % less
   *  CPU per row than 20k (bench/store.ts); encoding is chunked, so the size never stalls the event loop. */
  maxRows?: number;
  /** Flush a non-empty batch this long after its first record. Default 1000 ms. */
  maxDelayMs?: number;
  /** Bytes asked of the spool per read. Default 1 MiB. */
  readBytes?: number;
  /** Sleep when the spool has nothing new (sources without waitForData). Default 50 ms. */
  idleMs?: number;
  /** With waitForData: after a read, wait up to this long for half a read's worth before reading again. Each read
   *  costs a worker round trip and main-thread work whatever its size; under a steady load the spool grows by a
   *  group commit every few ms, and reading each one as it lands multiplied those fixed costs. Default 50 ms. */
  gatherMs?: number;
  /** After a restart, how long the time-based flush waits for a logged cut point. Default 5000 ms. */
  replayGraceMs?: number;
  retry?: BackoffOptions;
  /** Zone of the local days the rollup uses (late rows for past days are marked for restatement). */
  timezone?: string;
  /** Clock, epoch ms (tests). */
  now?: () => number;
  log?: SinkLogger;
}

export interface SinkStats {
  state: 'idle' | 'running' | 'retrying' | 'stopped';
  records: number;
  batches: number;
  positions: number;
  ignition: number;
  terminals: number;
  rejected: number;
  lateRows: number;
  retries: number;
  consecutiveFailures: number;
  lastError: string | undefined;
  /** Epoch ms of the last checkpoint. */
  lastCommitAt: number | undefined;
  /** Age of the oldest row read but not yet committed (0 when caught up). */
  lagSeconds: number;
  /** Rows read but not yet committed. */
  pendingRows: number;
  /** Batches cut at a position logged by the previous run (replay made byte-identical). */
  replayCuts: number;
}

interface Pending<P> {
  /** The reads' position bodies, in read order: the batch body is exactly these bytes. */
  posChunks: Buffer[];
  /** sha256 over posChunks, fed per read so no batch-sized hash stalls the event loop. */
  posHash: Hash;
  posRows: number;
  posRejected: number;
  marks: Map<string, LateMark>;
  ignition: IgnitionEventRow[];
  terminals: TerminalRow[];
  records: number;
  to: P | undefined;
  startedAt: number;
  minRecvTs: number;
}

interface Prepared<P> {
  to: P;
  toKey: string;
  pos: EncodedBody;
  ign: EncodedBody;
  markBody: EncodedBody;
  lateRows: number;
  terminals: TerminalRow[];
}

class StopRequested extends Error {}

function defaultKey(p: unknown): string {
  return typeof p === 'object' && p !== null ? JSON.stringify(p) : String(p);
}

export class Sink<R, P> {
  private readonly o: Required<Omit<SinkOptions<R, P>, 'log' | 'retry' | 'timezone'>> & SinkOptions<R, P>;
  private readonly zone: Zone;
  /** Text format of the small inserts (ignition); positions use posFormat. */
  private readonly format: TextFormat;
  private readonly posFormat: InsertFormat;
  private readonly extrasColumn: EncodeContext['extrasColumn'];
  private readonly posColumns: readonly string[];
  private readonly ignCodec: RowCodec<IgnitionEventRow>;
  private readonly abort = new AbortController();
  /** Aborted as soon as stop() is called: wakes an idle wait (this.abort only fires at the stop timeout). */
  private readonly wake = new AbortController();
  private stopping = false;
  private pending: Pending<P>;
  private inflight: Promise<void> | undefined;
  /** Oldest recvTs of each batch cut but not yet committed (at most two: one in flight, one waiting). */
  private readonly uncommitted: number[] = [];
  private cuts = new Set<string>();
  private startedAt = 0;
  private loop: Promise<void> | undefined;
  private readonly s: SinkStats = {
    state: 'idle', records: 0, batches: 0, positions: 0, ignition: 0, terminals: 0, rejected: 0, lateRows: 0,
    retries: 0, consecutiveFailures: 0, lastError: undefined, lastCommitAt: undefined, lagSeconds: 0,
    pendingRows: 0, replayCuts: 0,
  };

  constructor(o: SinkOptions<R, P>) {
    this.o = {
      positionKey: defaultKey,
      maxRows: 50_000,
      maxDelayMs: 1000,
      readBytes: 1 << 20,
      idleMs: 50,
      gatherMs: 50,
      replayGraceMs: 5000,
      now: Date.now,
      ...o,
    };
    this.zone = new Zone(o.timezone);
    const f = o.db.info.features;
    this.format = f.compactJson ? 'JSONCompactEachRow' : 'JSONEachRow';
    this.extrasColumn = f.ephemeral ? 'extras_hex' : 'extras';
    // The embedded engine takes positions in RowBinary (db.ts); servers over HTTP keep the text formats.
    this.posFormat = o.db.embedded ? 'RowBinary' : this.format;
    this.posColumns = this.posFormat === 'RowBinary' ? positionRowBinary.columns : positionCodec(this.format, this.extrasColumn).columns;
    this.ignCodec = ignitionCodec(this.format);
    this.pending = this.emptyBatch();
  }

  stats(): SinkStats {
    const oldest = Math.min(this.pending.minRecvTs, ...this.uncommitted);
    this.s.lagSeconds = Number.isFinite(oldest) ? Math.max(0, Math.round(this.o.now() / 1000 - oldest)) : 0;
    this.s.pendingRows = this.pending.posRows + this.pending.ignition.length;
    return { ...this.s };
  }

  /** Starts the read → insert → commit loop; resolves when stop() completes. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.loop;
  }

  /**
   * Stops reading, flushes what was read (retrying up to timeoutMs), and waits for the loop.
   * Whatever could not be flushed stays uncommitted in the spool and is replayed on the next start.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    const timer = setTimeout(() => this.abort.abort(new StopRequested('sink stopped')), timeoutMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(timer);
      this.s.state = 'stopped';
    }
  }

  private emptyBatch(): Pending<P> {
    return {
      posChunks: [], posHash: createHash('sha256'), posRows: 0, posRejected: 0, marks: new Map(), ignition: [], terminals: [], records: 0, to: undefined,
      startedAt: 0, minRecvTs: Infinity,
    };
  }

  private async run(): Promise<void> {
    this.s.state = 'running';
    this.startedAt = this.o.now();
    try {
      await this.step('load replay cuts', async () => {
        const rows = await this.o.db.query<{ to_key: string }>(
          `SELECT to_key FROM ${this.o.db.t(INGEST_BATCHES.name)} WHERE sink = {sink:String} ORDER BY created_at DESC LIMIT 16`,
          { sink: this.o.name },
        );
        this.cuts = new Set(rows.map((r) => r.to_key));
      });
      const wait = this.o.source.waitForData?.bind(this.o.source);
      while (!this.stopping) {
        const readAt = this.o.now();
        const { records, next } = await this.o.source.read(this.o.readBytes);
        if (records.length === 0) {
          if (this.pending.records > 0 && this.due(false)) await this.cut();
          else if (wait) await wait(1, this.pending.records > 0 ? this.untilDue() : Infinity, this.wake.signal);
          else await abortableSleep(this.o.idleMs, this.abort.signal).catch(() => undefined);
          continue;
        }
        const decoded = await this.o.decode(records, this.encodeContext());
        this.append(decoded, records.length, next);
        const key = this.o.positionKey(next);
        const atCut = this.cuts.delete(key);
        if (atCut) this.s.replayCuts++;
        if (atCut || this.due(true)) await this.cut();
        // A backlog (half a read or more ready) is read at once; a trickle is gathered into fewer, larger reads.
        const gather = readAt + this.o.gatherMs - this.o.now();
        if (wait && gather > 0 && !this.stopping) await wait(this.o.readBytes >> 1, gather, this.wake.signal);
      }
      if (this.pending.records > 0) await this.cut();
      await this.inflight;
    } catch (err) {
      if (!(err instanceof StopRequested) && !(this.abort.signal.aborted && this.stopping)) throw err;
    } finally {
      this.s.state = 'stopped';
    }
  }

  /** Marks are against today at read time, not at the cut: a row read before midnight never marks its own day. */
  private encodeContext(): EncodeContext {
    const todayStart = this.zone.bounds(this.zone.day(Math.floor(this.o.now() / 1000))).start;
    return { format: this.posFormat, extrasColumn: this.extrasColumn, timezone: this.zone.tz, todayStart };
  }

  private append(d: DecodedBatch, records: number, next: P): void {
    const p = this.pending;
    const pos = d.positions;
    if (p.records === 0) p.startedAt = this.o.now();
    p.records += records;
    p.to = next;
    if (pos.body.byteLength > 0) {
      const body = Buffer.from(pos.body.buffer, pos.body.byteOffset, pos.body.byteLength);
      p.posChunks.push(body);
      p.posHash.update(body);
    }
    p.posRows += pos.rows;
    p.posRejected += pos.rejected;
    if (pos.minRecvTs < p.minRecvTs) p.minRecvTs = pos.minRecvTs;
    addMarks(p.marks, pos.marks);
    for (const r of d.ignition) p.ignition.push(r);
    if (d.terminals) for (const r of d.terminals) p.terminals.push(r);
    this.s.records += records;
  }

  /** ms until the pending batch is due by time, replay grace included (at least 1). */
  private untilDue(): number {
    let at = this.pending.startedAt + this.o.maxDelayMs;
    if (this.cuts.size > 0) at = Math.max(at, this.startedAt + this.o.replayGraceMs);
    return Math.max(1, at - this.o.now());
  }

  private due(afterRead: boolean): boolean {
    const p = this.pending;
    if (afterRead && p.posRows + p.ignition.length >= this.o.maxRows) return true;
    const now = this.o.now();
    // While cut points of the previous run may lie ahead, wait for them rather than cut by time.
    const replaying = this.cuts.size > 0 && now - this.startedAt < this.o.replayGraceMs;
    return !replaying && now - p.startedAt >= this.o.maxDelayMs;
  }

  /**
   * Encodes the pending batch (overlapping the insert in flight), then hands it to the flusher. At most one
   * batch is in flight, so commits stay in order and memory stays bounded (one in flight, one pending).
   */
  private async cut(): Promise<void> {
    const batch = this.pending;
    this.pending = this.emptyBatch();
    this.uncommitted.push(batch.minRecvTs);
    const prepared = await this.prepare(batch);
    await this.inflight;
    this.inflight = this.send(prepared);
    // Surface a stop (or a bug) from the previous flush without waiting for this one.
    this.inflight.catch(() => undefined);
  }

  private async step<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retryForever(
        fn,
        (err, attempt, delayMs) => {
          this.s.state = 'retrying';
          this.s.retries++;
          this.s.consecutiveFailures++;
          this.s.lastError = err instanceof Error ? err.message : String(err);
          this.o.log?.warn({ err, attempt, delayMs, sink: this.o.name }, `sink: ${what} failed, retrying`);
        },
        this.o.retry,
        this.abort.signal,
      );
    } catch (err) {
      throw this.abort.signal.aborted ? new StopRequested(`sink stopped during ${what}`) : err;
    } finally {
      if (this.s.state === 'retrying') this.s.state = 'running';
    }
  }

  private token(table: string, toKey: string, body: EncodedBody): Record<string, string> | undefined {
    if (!this.o.db.info.features.dedupToken) return undefined;
    return { insert_deduplication_token: `${this.o.name}:${table}:${toKey}:${body.digest.slice(0, 32)}` };
  }

  /** The row tables' insert settings: the dedup token, and no collapsing pass at insert where the server has one. */
  private rowInsertSettings(table: string, toKey: string, body: EncodedBody): Record<string, string | number> | undefined {
    // Both row tables are Replacing: an insert's own duplicates (rare) go the way of every other resend, collapsed
    // by merges and skipped by the queries (LIMIT 1 BY ts), instead of a collapsing pass over every insert
    // (−0.1 µs of engine CPU per row, bench/insert-paths.ts).
    if (!this.o.db.info.features.optimizeOnInsert) return this.token(table, toKey, body);
    return { ...this.token(table, toKey, body), optimize_on_insert: 0 };
  }

  private async insertBody(table: string, columns: readonly string[], format: InsertFormat, body: EncodedBody, toKey: string): Promise<void> {
    if (body.rows === 0) return;
    await this.step(`insert into ${table}`, () =>
      this.o.db.insert(table, columns, format, body.chunks, this.rowInsertSettings(table, toKey, body)),
    );
  }

  /** Freezes a batch: every attempt sends exactly these bytes. */
  private async prepare(b: Pending<P>): Promise<Prepared<P>> {
    const pos: EncodedBody = { chunks: b.posChunks, rows: b.posRows, rejected: b.posRejected, digest: b.posHash.digest('hex') };
    const ign = await encodeRows(b.ignition, this.ignCodec);
    const markBody = await encodeRows([...b.marks.values()], MARK_CODEC);
    let lateRows = 0;
    for (const m of b.marks.values()) lateRows += m.rows;
    return { to: b.to as P, toKey: this.o.positionKey(b.to as P), pos, ign, markBody, lateRows, terminals: b.terminals };
  }

  private async send(p: Prepared<P>): Promise<void> {
    const db = this.o.db;
    const { pos, ign, markBody, toKey } = p;
    if (pos.rows + ign.rows > 0) {
      await this.step('log batch', () =>
        db.insert(INGEST_BATCHES.name, ['sink', 'to_key', 'positions', 'ignition'], 'JSONEachRow', [
          `${JSON.stringify({ sink: this.o.name, to_key: toKey, positions: pos.rows, ignition: ign.rows })}\n`,
        ]),
      );
    }
    await this.insertBody('positions', this.posColumns, this.posFormat, pos, toKey);
    await this.insertBody('ignition_events', this.ignCodec.columns, this.format, ign, toKey);
    if (p.terminals.length) await this.insertTerminals(p.terminals);
    if (markBody.rows) {
      await this.step('mark late days', () =>
        db.insert(ROLLUP_DIRTY.name, MARK_CODEC.columns, 'JSONEachRow', markBody.chunks, this.token('rollup_dirty', toKey, markBody)),
      );
    }
    await this.step('commit', () => this.o.source.commit(p.to));
    this.uncommitted.shift();
    this.s.consecutiveFailures = 0;
    this.s.batches++;
    this.s.positions += pos.rows;
    this.s.ignition += ign.rows;
    this.s.terminals += p.terminals.length;
    this.s.rejected += pos.rejected + ign.rejected;
    this.s.lateRows += p.lateRows;
    this.s.lastCommitAt = this.o.now();
    if (pos.rejected + ign.rejected > 0) {
      this.o.log?.warn({ sink: this.o.name, rejected: pos.rejected + ign.rejected, to: toKey }, 'sink: rows failed validation and were skipped');
    }
  }

  private async insertTerminals(rows: readonly TerminalRow[]): Promise<void> {
    const lines = rows.map(
      (t) =>
        `${JSON.stringify({
          terminal: t.terminal, province: t.province, city: t.city, manufacturer: t.manufacturer, model: t.model,
          device_id: t.deviceId, plate_color: t.plateColor, plate: t.plate, auth_code: t.authCode,
          protocol_version: t.protocolVersion, first_seen: t.firstSeen, last_seen: t.lastSeen,
        })}\n`,
    );
    await this.step('insert into terminals', () =>
      this.o.db.insert(TERMINALS.name, TERMINALS.columns.map((c) => c.name), 'JSONEachRow', [lines.join('')]),
    );
  }
}
