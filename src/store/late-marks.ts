/**
 * Late rows: valid positions for local days before today, counted per (day, terminal) so the rollup
 * restates those days (rollup_dirty). Counted per read where the rows are decoded, summed per batch by the sink.
 */
import type { RowCodec } from './encode.js';
import type { LateMark, PositionRow } from './rows.js';
import type { Zone } from './timezone.js';

/** A mark's identity: its (day, terminal). */
const markKey = (day: string, terminal: string): string => `${day}|${terminal}`;

/** `rows` must be valid (encode.ts validPosition): their ids are written unescaped. */
export function lateMarks(rows: readonly PositionRow[], zone: Zone, todayStart: number): LateMark[] {
  const marks = new Map<string, LateMark>();
  for (const r of rows) {
    if (r.ts >= todayStart) continue;
    const day = zone.day(r.ts);
    const k = markKey(day, r.terminal);
    const m = marks.get(k);
    if (m) {
      m.rows++;
      m.backfill += r.backfill;
    } else marks.set(k, { day, terminal: r.terminal, rows: 1, backfill: r.backfill });
  }
  return [...marks.values()];
}

/** Adds one read's marks into a batch's (keyed by day and terminal). */
export function addMarks(into: Map<string, LateMark>, marks: readonly LateMark[]): void {
  for (const m of marks) {
    const k = markKey(m.day, m.terminal);
    const have = into.get(k);
    if (have) {
      have.rows += m.rows;
      have.backfill += m.backfill;
    } else into.set(k, { ...m });
  }
}

export const MARK_CODEC: RowCodec<LateMark> = {
  columns: ['day', 'terminal', 'rows', 'backfill_rows'],
  valid: () => true,
  line: (m) => `{"day":"${m.day}","terminal":"${m.terminal}","rows":${m.rows},"backfill_rows":${m.backfill}}\n`,
};
