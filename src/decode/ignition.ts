/**
 * ACC on/off transitions per terminal in device-time order (DESIGN.md: ignition events). The tracker
 * keeps each terminal's last (time, ACC) and emits an event when a newer report flips it. Reports older
 * than the last one seen (0x0704 backfill, replays) cannot be placed incrementally: they are returned
 * as "late" so the store recomputes the events of that window from positions.
 */
import type { IgnitionEventRow, PositionRow } from '../store/rows.js';

interface LastState {
  ts: number;
  acc: 0 | 1;
}

export class IgnitionTracker {
  private readonly last = new Map<string, LastState>();

  /** Seeds a terminal's state (e.g. from the latest stored position after a restart). */
  seed(terminal: string, ts: number, acc: boolean): void {
    const cur = this.last.get(terminal);
    if (!cur || ts > cur.ts) this.last.set(terminal, { ts, acc: acc ? 1 : 0 });
  }

  get terminals(): number {
    return this.last.size;
  }

  /**
   * Feeds a batch (any order). Returns the transitions among in-order rows and the number of late rows.
   * The first report ever seen of a terminal with ACC on counts as an "on" (a trip starts with the
   * first report we have); with ACC off it only sets the state.
   */
  track(rows: readonly PositionRow[]): { events: IgnitionEventRow[]; late: number } {
    const ordered = rows.length > 1 ? [...rows].sort((a, b) => (a.terminal < b.terminal ? -1 : a.terminal > b.terminal ? 1 : a.ts - b.ts)) : rows;
    const events: IgnitionEventRow[] = [];
    let late = 0;
    for (const r of ordered) {
      const acc: 0 | 1 = (r.status & 1) === 1 ? 1 : 0;
      const cur = this.last.get(r.terminal);
      if (!cur) {
        this.last.set(r.terminal, { ts: r.ts, acc });
        if (acc === 1) events.push({ terminal: r.terminal, ts: r.ts, on: 1, latE6: r.latE6, lonE6: r.lonE6 });
        continue;
      }
      if (r.ts < cur.ts) {
        late++;
        continue;
      }
      if (r.ts === cur.ts) continue; // a resend of the same report
      if (acc !== cur.acc) events.push({ terminal: r.terminal, ts: r.ts, on: acc, latE6: r.latE6, lonE6: r.lonE6 });
      cur.ts = r.ts;
      cur.acc = acc;
    }
    return { events, late };
  }
}
