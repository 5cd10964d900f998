/**
 * Valid rows → typed-array columns in one ArrayBuffer, ordered by (terminal index, ts): the main thread walks
 * them for ignition, the latest-position cache and track-cache invalidation, and a transfer costs nothing (row
 * objects cost 1.1–1.9 µs each to clone and re-intern, bench/RESULTS.md finding 3).
 *
 * Rows are first staged in read order (RowStage), then ordered: row objects go through `positionColumns`; the
 * RowBinary decode path (src/decode/decode-row-binary.ts) stages each row as it decodes it and builds no object.
 */
import type { PositionColumns, PositionNumbers, PositionRow } from './rows.js';

/**
 * A report whose device time is more than a day past its receive time (a terminal clock gone wrong) never
 * becomes "latest": it would stick there.
 */
const FUTURE_SLACK_S = 86_400;

/**
 * The valid rows of one read in read order, one typed array per column the read's outputs need (columns, late
 * marks, minRecvTs). Grows as needed and is reused: `reset` between reads.
 */
export class RowStage {
  n = 0;
  /** Distinct terminal ids in first-seen order; `terminal[i]` indexes it. Handed out with the columns. */
  terminals: string[] = [];
  terminal: Uint32Array;
  ts: Uint32Array;
  recvTs: Uint32Array;
  status: Uint32Array;
  alarm: Uint32Array;
  odometer: Uint32Array;
  latE6: Int32Array;
  lonE6: Int32Array;
  speed: Uint16Array;
  direction: Uint16Array;
  backfill: Uint8Array;

  constructor(capacity = 1024) {
    this.terminal = new Uint32Array(capacity);
    this.ts = new Uint32Array(capacity);
    this.recvTs = new Uint32Array(capacity);
    this.status = new Uint32Array(capacity);
    this.alarm = new Uint32Array(capacity);
    this.odometer = new Uint32Array(capacity);
    this.latE6 = new Int32Array(capacity);
    this.lonE6 = new Int32Array(capacity);
    this.speed = new Uint16Array(capacity);
    this.direction = new Uint16Array(capacity);
    this.backfill = new Uint8Array(capacity);
  }

  reset(): void {
    this.n = 0;
    this.terminals = []; // the previous list went out with its read's columns
  }

  /** Adds a terminal id; returns its index. */
  addTerminal(id: string): number {
    this.terminals.push(id);
    return this.terminals.length - 1;
  }

  /** Appends a valid row of terminal index `k`. */
  push(k: number, r: PositionNumbers): void {
    const i = this.n;
    if (i === this.ts.length) this.grow();
    this.terminal[i] = k;
    this.ts[i] = r.ts;
    this.recvTs[i] = r.recvTs;
    this.status[i] = r.status;
    this.alarm[i] = r.alarm;
    this.odometer[i] = r.odometer;
    this.latE6[i] = r.latE6;
    this.lonE6[i] = r.lonE6;
    this.speed[i] = r.speed;
    this.direction[i] = r.direction;
    this.backfill[i] = r.backfill;
    this.n = i + 1;
  }

  private grow(): void {
    const size = this.ts.length * 2;
    const more = <T extends Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.terminal = more(this.terminal);
    this.ts = more(this.ts);
    this.recvTs = more(this.recvTs);
    this.status = more(this.status);
    this.alarm = more(this.alarm);
    this.odometer = more(this.odometer);
    this.latE6 = more(this.latE6);
    this.lonE6 = more(this.lonE6);
    this.speed = more(this.speed);
    this.direction = more(this.direction);
    this.backfill = more(this.backfill);
  }
}

/** positionColumns' stage: it runs synchronously, so one serves every call. */
const rowsStage = new RowStage();

export function positionColumns(rows: readonly PositionRow[]): PositionColumns {
  const s = rowsStage;
  s.reset();
  const index = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    let k = index.get(r.terminal);
    if (k === undefined) index.set(r.terminal, (k = s.addTerminal(r.terminal)));
    s.push(k, r);
  }
  return stagedColumns(s);
}

/** The staged rows as columns: a counting sort by terminal (index = first appearance), then by ts within a terminal. */
export function stagedColumns(s: RowStage): PositionColumns {
  const n = s.n;
  const t = s.terminals.length;
  // 4-byte columns first, then the 2-byte ones, so every view is aligned.
  const ab = new ArrayBuffer(n * 32 + t * 4);
  const c: PositionColumns = {
    terminals: s.terminals,
    terminal: new Uint32Array(ab, 0, n),
    ts: new Uint32Array(ab, n * 4, n),
    status: new Uint32Array(ab, n * 8, n),
    latE6: new Int32Array(ab, n * 12, n),
    lonE6: new Int32Array(ab, n * 16, n),
    alarm: new Uint32Array(ab, n * 20, n),
    odometer: new Uint32Array(ab, n * 24, n),
    latest: new Int32Array(ab, n * 28, t).fill(-1),
    speed: new Uint16Array(ab, n * 28 + t * 4, n),
    direction: new Uint16Array(ab, n * 30 + t * 4, n),
  };
  const of = s.terminal;
  const starts = new Uint32Array(t);
  for (let i = 0; i < n; i++) starts[of[i]]++;
  let at = 0;
  for (let k = 0; k < t; k++) {
    const count = starts[k];
    starts[k] = at;
    at += count;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[starts[of[i]]++] = i;
  // starts[k] is now the end of terminal k's run.
  for (let k = 0; k < t; k++) sortByTs(order, s.ts, k === 0 ? 0 : starts[k - 1], starts[k]);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const k = of[i];
    const ts = s.ts[i];
    c.terminal[j] = k;
    c.ts[j] = ts;
    c.status[j] = s.status[i];
    c.latE6[j] = s.latE6[i];
    c.lonE6[j] = s.lonE6[i];
    c.alarm[j] = s.alarm[i];
    c.odometer[j] = s.odometer[i];
    c.speed[j] = s.speed[i];
    c.direction[j] = s.direction[i];
    // The newest row per terminal; among equal times the first read (the run is in ts order, stable).
    if (ts > 0 && ts <= s.recvTs[i] + FUTURE_SLACK_S && (c.latest[k] < 0 || ts > c.ts[c.latest[k]])) c.latest[k] = j;
  }
  return c;
}

/** Stable sort of order[from, to) by ts; skips the common already-ordered case. */
function sortByTs(order: Uint32Array, ts: Uint32Array, from: number, to: number): void {
  let sorted = true;
  for (let j = from + 1; j < to && sorted; j++) sorted = ts[order[j - 1]] <= ts[order[j]];
  if (sorted) return;
  const part = Array.from(order.subarray(from, to)).sort((a, b) => ts[a] - ts[b] || a - b);
  order.set(part, from);
}
