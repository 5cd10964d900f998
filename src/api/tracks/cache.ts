/**
 * Track results kept in memory, bounded by bytes (LRU), and tied to what the sink has committed: a
 * terminal's entries are dropped when a batch with its rows is committed to ClickHouse, and no entry is made
 * for a terminal while such a batch is decoded but not yet committed. So a cached track is always what
 * ClickHouse would answer — late backfill included — as long as this process is the only writer (start.ts
 * enables it for the embedded engine only).
 *
 * Two kinds of entries share the budget: the points of a query (any format and simplification is made from
 * them) and finished response bodies (a repeat costs no formatting either).
 *
 * Why: a one-day track (2,880 points) costs ~10 ms in the embedded engine on 2 busy cores and 2-4 ms to
 * format as JSON (bench/api.ts), against a 15 ms p99 budget; playback asks for the same day again and again.
 */
import { trackBytes, type TrackColumns } from '../../store/queries/track-points.js';

/** A finished response: the formatted bytes of one format/simplify/limit of a track. */
export interface TrackBody {
  truncated: boolean;
  bytes: Buffer;
}

type Value = TrackColumns | TrackBody;

interface Entry {
  terminal: string;
  generation: number;
  value: Value;
  bytes: number;
}

const isBody = (v: Value): v is TrackBody => 'bytes' in v;

export class TrackCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  /** Terminals with rows decoded but not committed: count of such batches. */
  private readonly pending = new Map<string, number>();
  /** Decoded batches in spool order: end position and their terminals. */
  private readonly uncommitted: Array<{ position: number; terminals: string[] }> = [];
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes = 64 * 2 ** 20) {}

  /** The sink decoded rows of `terminals` up to spool `position` (not yet in ClickHouse). */
  decoded(position: number, terminals: Iterable<string>): void {
    const list = [...new Set(terminals)];
    for (const t of list) this.pending.set(t, (this.pending.get(t) ?? 0) + 1);
    this.uncommitted.push({ position, terminals: list });
  }

  /** The sink committed everything up to `position`: those rows are readable in ClickHouse now. */
  committed(position: number): void {
    while (this.uncommitted.length > 0 && this.uncommitted[0].position <= position) {
      const batch = this.uncommitted.shift()!;
      for (const t of batch.terminals) {
        const n = (this.pending.get(t) ?? 1) - 1;
        if (n > 0) this.pending.set(t, n);
        else this.pending.delete(t);
        this.generations.set(t, (this.generations.get(t) ?? 0) + 1);
      }
    }
  }

  /**
   * The terminal's generation to read under, or undefined when its data is in flight (do not cache). Take it
   * before querying: a commit during the query then makes the stored entry stale at once.
   */
  generation(terminal: string): number | undefined {
    return this.pending.has(terminal) ? undefined : (this.generations.get(terminal) ?? 0);
  }

  get(key: string, terminal: string): TrackColumns | undefined {
    const v = this.lookup(key, terminal);
    return v && !isBody(v) ? v : undefined;
  }

  getBody(key: string, terminal: string): TrackBody | undefined {
    const v = this.lookup(key, terminal);
    return v && isBody(v) ? v : undefined;
  }

  private lookup(key: string, terminal: string): Value | undefined {
    const e = this.entries.get(key);
    if (!e || e.generation !== this.generation(terminal)) {
      if (e) this.drop(key, e);
      this.misses++;
      return undefined;
    }
    // Refresh its place in the LRU order.
    this.entries.delete(key);
    this.entries.set(key, e);
    this.hits++;
    return e.value;
  }

  set(key: string, terminal: string, generation: number | undefined, value: Value): void {
    if (generation === undefined || generation !== this.generation(terminal)) return;
    const bytes = (isBody(value) ? value.bytes.length + 100 : trackBytes(value)) + key.length * 2;
    if (bytes > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { terminal, generation, value, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k, e);
    }
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }

  get size(): number {
    return this.entries.size;
  }
}
