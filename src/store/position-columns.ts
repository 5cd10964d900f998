/**
 * Valid rows → typed-array columns in one ArrayBuffer, ordered by (terminal index, ts): the main thread walks
 * them for ignition, the latest-position cache and track-cache invalidation, and a transfer costs nothing (row
 * objects cost 1.1–1.9 µs each to clone and re-intern, bench/RESULTS.md finding 3).
 */
import type { PositionColumns, PositionRow } from './rows.js';

/**
 * A report whose device time is more than a day past its receive time (a terminal clock gone wrong) never
 * becomes "latest": it would stick there.
 */
const FUTURE_SLACK_S = 86_400;

export function positionColumns(rows: readonly PositionRow[]): PositionColumns {
  const n = rows.length;
  // Counting sort by terminal (index = first appearance), then by ts within a terminal (already in order, mostly).
  const terminals: string[] = [];
  const index = new Map<string, number>();
  const of = new Uint32Array(n);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    let k = index.get(rows[i].terminal);
    if (k === undefined) {
      k = terminals.length;
      index.set(rows[i].terminal, k);
      terminals.push(rows[i].terminal);
      starts.push(0);
    }
    of[i] = k;
    starts[k]++;
  }
  const t = terminals.length;
  // 4-byte columns first, then the 2-byte ones, so every view is aligned.
  const ab = new ArrayBuffer(n * 32 + t * 4);
  const c: PositionColumns = {
    terminals,
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
  let at = 0;
  for (let k = 0; k < t; k++) {
    const count = starts[k];
    starts[k] = at;
    at += count;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[starts[of[i]]++] = i;
  // starts[k] is now the end of terminal k's run.
  for (let k = 0; k < t; k++) sortByTs(order, rows, k === 0 ? 0 : starts[k - 1], starts[k]);
  for (let j = 0; j < n; j++) {
    const r = rows[order[j]];
    const k = of[order[j]];
    c.terminal[j] = k;
    c.ts[j] = r.ts;
    c.status[j] = r.status;
    c.latE6[j] = r.latE6;
    c.lonE6[j] = r.lonE6;
    c.alarm[j] = r.alarm;
    c.odometer[j] = r.odometer;
    c.speed[j] = r.speed;
    c.direction[j] = r.direction;
    // The newest row per terminal; among equal times the first read (the run is in ts order, stable).
    if (r.ts > 0 && r.ts <= r.recvTs + FUTURE_SLACK_S && (c.latest[k] < 0 || r.ts > c.ts[c.latest[k]])) c.latest[k] = j;
  }
  return c;
}

/** Stable sort of order[from, to) by ts; skips the common already-ordered case. */
function sortByTs(order: Uint32Array, rows: readonly PositionRow[], from: number, to: number): void {
  let sorted = true;
  for (let j = from + 1; j < to && sorted; j++) sorted = rows[order[j - 1]].ts <= rows[order[j]].ts;
  if (sorted) return;
  const part = Array.from(order.subarray(from, to)).sort((a, b) => rows[a].ts - rows[b].ts || a - b);
  order.set(part, from);
}
