/**
 * Late rows: valid positions for local days before today, counted per (day, terminal) so the rollup
 * restates those days (rollup_dirty). Counted per read where the rows are decoded, summed per batch by the sink.
 */
import type { RowCodec } from './encode.js';
import type { RowStage } from './position-columns.js';
import type { LateMark, PositionRow } from './rows.js';
import type { Zone } from './timezone.js';

/** Counts `rows` rows of (day, terminal) into `marks`, keyed by `day|terminal` in first-seen order. */
function count(marks: Map<string, LateMark>, day: string, terminal: string, rows: number, backfill: number): void {
  const k = `${day}|${terminal}`;
  const m = marks.get(k);
  if (m) {
    m.rows += rows;
    m.backfill += backfill;
  } else marks.set(k, { day, terminal, rows, backfill });
}

/** `rows` must be valid (encode.ts validPosition): their ids are written unescaped. */
export function lateMarks(rows: readonly PositionRow[], zone: Zone, todayStart: number): LateMark[] {
  const marks = new Map<string, LateMark>();
  for (const r of rows) if (r.ts < todayStart) count(marks, zone.day(r.ts), r.terminal, 1, r.backfill);
  return [...marks.values()];
}

/** lateMarks of staged rows (position-columns.ts RowStage), in their read order. */
export function stagedLateMarks(s: RowStage, zone: Zone, todayStart: number): LateMark[] {
  const marks = new Map<string, LateMark>();
  for (let i = 0; i < s.n; i++) if (s.ts[i] < todayStart) count(marks, zone.day(s.ts[i]), s.terminals[s.terminal[i]], 1, s.backfill[i]);
  return [...marks.values()];
}

/** Adds one read's marks into a batch's (keyed by day and terminal). */
export function addMarks(into: Map<string, LateMark>, marks: readonly LateMark[]): void {
  for (const m of marks) count(into, m.day, m.terminal, m.rows, m.backfill);
}

export const MARK_CODEC: RowCodec<LateMark> = {
  columns: ['day', 'terminal', 'rows', 'backfill_rows'],
  valid: () => true,
  line: (m) => `{"day":"${m.day}","terminal":"${m.terminal}","rows":${m.rows},"backfill_rows":${m.backfill}}\n`,
};
