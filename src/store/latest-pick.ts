/**
 * The newest row per terminal in a read, as the latest-position cache keeps it: picked where rows are decoded,
 * so the main thread gets one small object per terminal instead of every row. A report whose device time is
 * more than a day past its receive time (a terminal clock gone wrong) never becomes "latest": it would stick there.
 */
import type { LatestPosition } from './queries/latest.js';
import type { PositionRow } from './rows.js';

const FUTURE_SLACK_S = 86_400;

export function latestPick(rows: readonly PositionRow[]): LatestPosition[] {
  const best = new Map<string, PositionRow>();
  for (const r of rows) {
    if (r.ts <= 0 || r.ts > r.recvTs + FUTURE_SLACK_S) continue;
    const have = best.get(r.terminal);
    if (!have || r.ts > have.ts) best.set(r.terminal, r);
  }
  return Array.from(best.values(), (r) => ({
    terminal: r.terminal, ts: r.ts, latE6: r.latE6, lonE6: r.lonE6, speed: r.speed, direction: r.direction,
    status: r.status, alarm: r.alarm, odometer: r.odometer,
  }));
}
