// Prometheus metrics: one Registry per createMetrics() (not prom-client's global one, so tests can make several),
// and typed handles for the gateway, spool, decoder, sink and API.
//
// Hot paths (per frame) count through cells: `metrics.frames.child(0x0200)` returns the same CounterCell every
// time, and `cell.inc()` is one field add (bench/metrics.ts: a few ns). prom-client's own bound child hashes its
// labels on every inc (~95 ns here), so cells keep plain numbers and are folded into prom-client when the
// registry is scraped. Hold on to the cell where you can (per session, per handler); `child()` is a Map lookup,
// except for the same key as the call before.
import {
  collectDefaultMetrics, Counter, Gauge, Histogram, Registry,
} from 'prom-client';

/** Label value that stands for every value past a family's limit: terminals choose msg ids, we choose memory. */
export const OTHER = 'other';

/** One label value of a counter. */
export class CounterCell {
  value = 0;
  /** Part of `value` already handed to prom-client. */
  flushed = 0;
  /** No check that `n` ≥ 0: a counter's callers count things; a negative add is dropped at scrape. */
  inc(n = 1): void {
    this.value += n;
  }
}

/** One label value of a gauge. */
export class GaugeCell {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  set(v: number): void {
    this.value = v;
  }
}

/**
 * Cells by key, bounded: past `max` distinct label values every new one shares the `other` cell, and past
 * `4 × max` keys (numbers that format alike, or `other` keys) lookups are no longer cached, so a stream of
 * made-up values costs neither series nor memory.
 */
class Cells<K, C> {
  private readonly byKey = new Map<K, C>();
  readonly byLabel = new Map<string, C>();
  /** The last key asked for and its cell: per-frame callers mostly repeat one key (0x0200, result 0), no Map lookup. */
  private lastKey: K | undefined = undefined;
  private lastCell: C | undefined = undefined;

  constructor(
    private readonly make: (label: string) => C,
    private readonly format: (key: K) => string,
    private readonly max: number,
  ) {}

  get(key: K): C {
    if (key === this.lastKey) return this.lastCell!;
    const cell = this.lookUp(key);
    this.lastKey = key;
    this.lastCell = cell;
    return cell;
  }

  private lookUp(key: K): C {
    const hit = this.byKey.get(key);
    if (hit !== undefined) return hit;
    let label = this.format(key);
    if (!this.byLabel.has(label) && this.byLabel.size >= this.max) label = OTHER;
    let cell = this.byLabel.get(label);
    if (cell === undefined) {
      cell = this.make(label);
      this.byLabel.set(label, cell);
    }
    if (this.byKey.size < this.max * 4) this.byKey.set(key, cell);
    return cell;
  }
}

interface FamilyOptions<K> {
  readonly name: string;
  readonly help: string;
  readonly label: string;
  readonly max: number;
  readonly format?: (key: K) => string;
}

/** A counter with one label whose values are counted through cached cells. */
export class CounterFamily<K extends string | number = string> {
  readonly metric: Counter<string>;
  private readonly cells: Cells<K, CounterCell>;

  constructor(registry: Registry, o: FamilyOptions<K>) {
    const flush = (): void => {
      for (const [value, cell] of this.cells.byLabel) {
        const delta = cell.value - cell.flushed;
        if (delta > 0) this.metric.inc({ [o.label]: value }, delta);
        cell.flushed = cell.value;
      }
    };
    this.metric = new Counter({ name: o.name, help: o.help, labelNames: [o.label], registers: [registry], collect: flush });
    // A new label value shows up at 0 at once, so rate() sees its first increment.
    this.cells = new Cells((value) => {
      this.metric.inc({ [o.label]: value }, 0);
      return new CounterCell();
    }, o.format ?? String, o.max);
  }

  /** The cell for `key`; the same object on every call. */
  child(key: K): CounterCell {
    return this.cells.get(key);
  }

  /** The sum over every label value (what the family counted in all). */
  total(): number {
    let sum = 0;
    for (const cell of this.cells.byLabel.values()) sum += cell.value;
    return sum;
  }
}

/** A gauge with one label whose values are set through cached cells. */
export class GaugeFamily<K extends string | number = string> {
  readonly metric: Gauge<string>;
  private readonly cells: Cells<K, GaugeCell>;

  constructor(registry: Registry, o: FamilyOptions<K>) {
    const flush = (): void => {
      for (const [value, cell] of this.cells.byLabel) this.metric.set({ [o.label]: value }, cell.value);
    };
    this.metric = new Gauge({ name: o.name, help: o.help, labelNames: [o.label], registers: [registry], collect: flush });
    this.cells = new Cells(() => new GaugeCell(), o.format ?? String, o.max);
  }

  child(key: K): GaugeCell {
    return this.cells.get(key);
  }
}

/** JT/T 808 message id as written in the spec: 0x0200, 0x8001. */
export const msgIdLabel = (id: number): string => `0x${id.toString(16).padStart(4, '0')}`;

export interface Metrics {
  readonly registry: Registry;
  /** fleetgate_connections: open terminal TCP connections. */
  readonly connections: Gauge;
  /** fleetgate_connections_closed_total{reason}. */
  readonly connectionsClosed: CounterFamily<string>;
  /** fleetgate_connections_rejected_total{reason}: refused at accept (limits, rate per IP). */
  readonly connectionsRejected: CounterFamily<string>;
  /** fleetgate_sessions{state}: sessions by state (connected, registered, authenticated…). */
  readonly sessions: GaugeFamily<string>;
  /** fleetgate_frames_total{msg_id}: frames received, keyed by numeric message id. */
  readonly frames: CounterFamily<number>;
  /** fleetgate_bad_frames_total{reason}: frames dropped, by codec error code or gateway reason. */
  readonly badFrames: CounterFamily<string>;
  /** fleetgate_answers_total{result}: answers sent, by result code of the 0x8001/0x8100 answer (0 = success). */
  readonly answers: CounterFamily<number>;
  /** fleetgate_spool_bytes: bytes on disk in the spool. */
  readonly spoolBytes: Gauge;
  /** fleetgate_spool_unconsumed_bytes: bytes appended but not yet checkpointed by the sink. */
  readonly spoolUnconsumedBytes: Gauge;
  /** fleetgate_spool_lag_seconds: age of the oldest unconsumed frame. */
  readonly spoolLagSeconds: Gauge;
  /** fleetgate_spool_fsyncs_total. */
  readonly spoolFsyncs: Counter;
  /** fleetgate_spool_fsync_seconds. */
  readonly spoolFsyncSeconds: Histogram;
  /** fleetgate_decode_batch_seconds: one worker batch, post to result. */
  readonly decodeBatchSeconds: Histogram;
  /** fleetgate_paused_sockets: sockets not being read (write backpressure or spool high water). */
  readonly pausedSockets: Gauge;
  /** fleetgate_sink_rows_inserted_total{table}. */
  readonly sinkRowsInserted: CounterFamily<string>;
  /** fleetgate_sink_insert_errors_total: failed insert attempts (each retry counts). */
  readonly sinkInsertErrors: Counter;
  /** fleetgate_sink_lag_seconds: now minus the receive time of the newest stored row. */
  readonly sinkLagSeconds: Gauge;
  /** fleetgate_heap_trim_seconds: pauses of the full collections after connection storms (src/heap-trim.ts). */
  readonly heapTrimSeconds: Histogram;
  /** fleetgate_api_request_duration_seconds{route,status}: route is the pattern (`GET /v1/tracks/:id`), never the URL. */
  readonly apiRequestSeconds: Histogram<'route' | 'status'>;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event-loop lag, GC) in the same registry. Default true. */
  readonly defaultMetrics?: boolean;
}

// fdatasync here: ~0.3 ms, p99 ~1.2 ms (DESIGN.md), so the buckets are fine below 2 ms.
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const API_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  return {
    registry,
    connections: gauge('fleetgate_connections', 'Open terminal TCP connections.'),
    connectionsClosed: new CounterFamily(registry, {
      name: 'fleetgate_connections_closed_total', help: 'Terminal connections closed, by reason.', label: 'reason', max: 32,
    }),
    connectionsRejected: new CounterFamily(registry, {
      name: 'fleetgate_connections_rejected_total', help: 'Terminal connections refused, by reason.', label: 'reason', max: 16,
    }),
    sessions: new GaugeFamily(registry, { name: 'fleetgate_sessions', help: 'Terminal sessions by state.', label: 'state', max: 16 }),
    frames: new CounterFamily(registry, {
      name: 'fleetgate_frames_total', help: 'Frames received, by message id.', label: 'msg_id', max: 64, format: msgIdLabel,
    }),
    badFrames: new CounterFamily(registry, { name: 'fleetgate_bad_frames_total', help: 'Frames dropped, by reason.', label: 'reason', max: 32 }),
    answers: new CounterFamily(registry, { name: 'fleetgate_answers_total', help: 'Answers sent to terminals, by result code.', label: 'result', max: 16 }),
    spoolBytes: gauge('fleetgate_spool_bytes', 'Bytes on disk in the spool.'),
    spoolUnconsumedBytes: gauge('fleetgate_spool_unconsumed_bytes', 'Spool bytes not yet consumed by the sink.'),
    spoolLagSeconds: gauge('fleetgate_spool_lag_seconds', 'Age of the oldest unconsumed spool frame.'),
    spoolFsyncs: new Counter({ name: 'fleetgate_spool_fsyncs_total', help: 'Spool fsyncs.', registers }),
    spoolFsyncSeconds: new Histogram({ name: 'fleetgate_spool_fsync_seconds', help: 'Spool fsync duration.', buckets: FSYNC_BUCKETS, registers }),
    decodeBatchSeconds: new Histogram({
      name: 'fleetgate_decode_batch_seconds', help: 'Decode time of one worker batch.', buckets: BATCH_BUCKETS, registers,
    }),
    pausedSockets: gauge('fleetgate_paused_sockets', 'Terminal sockets paused by backpressure.'),
    sinkRowsInserted: new CounterFamily(registry, {
      name: 'fleetgate_sink_rows_inserted_total', help: 'Rows inserted into ClickHouse, by table.', label: 'table', max: 16,
    }),
    sinkInsertErrors: new Counter({ name: 'fleetgate_sink_insert_errors_total', help: 'Failed ClickHouse inserts.', registers }),
    sinkLagSeconds: gauge('fleetgate_sink_lag_seconds', 'Time from receipt to storage of the newest stored row.'),
    heapTrimSeconds: new Histogram({
      name: 'fleetgate_heap_trim_seconds', help: 'Pause of each full collection after a connection storm (and at start-up).', buckets: API_BUCKETS, registers,
    }),
    apiRequestSeconds: new Histogram({
      name: 'fleetgate_api_request_duration_seconds', help: 'API request duration, by route and status.',
      labelNames: ['route', 'status'] as const, buckets: API_BUCKETS, registers,
    }),
  };
}

/**
 * The gateway's view (src/gateway/types.ts GatewayMetrics), matched by shape so this module imports nothing of
 * the gateway. Per-frame calls find their cell without a Map lookup while the key repeats (Cells.get).
 */
export function gatewayMetrics(m: Metrics) {
  return {
    connectionOpened(): void {
      m.connections.inc();
    },
    connectionClosed(reason: string): void {
      m.connections.dec();
      m.connectionsClosed.child(reason).inc();
    },
    connectionRejected(reason: string): void {
      m.connectionsRejected.child(reason).inc();
    },
    frame(msgId: number): void {
      m.frames.child(msgId).inc();
    },
    badFrame(reason: string): void {
      m.badFrames.child(reason).inc();
    },
    answer(result: number): void {
      m.answers.child(result).inc();
    },
    sessionState(from: string | null, to: string | null): void {
      if (from !== null) m.sessions.child(from).dec();
      if (to !== null) m.sessions.child(to).inc();
    },
    pausedSockets(delta: number): void {
      m.pausedSockets.inc(delta);
    },
  };
}
