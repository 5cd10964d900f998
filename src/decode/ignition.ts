/**
 * ACC on/off transitions per terminal in device-time order (DESIGN.md: ignition events). The tracker
 * keeps each terminal's last (time, ACC) and emits an event when a newer report flips it. Reports older
 * than the last one seen (0x0704 backfill, replays) cannot be placed incrementally: they are returned
 * as "late" so the store recomputes the events of that window from positions.
 */
import type { IgnitionEventRow, PositionColumns } from '../store/rows.js';

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
   * Feeds one read's columns (ordered by terminal, then ts: store/position-columns.ts). Returns the transitions
   * among in-order rows and the number of late rows. The first report ever seen of a terminal with ACC on
   * counts as an "on" (a trip starts with the first report we have); with ACC off it only sets the state.
   */
  track(c: PositionColumns): { events: IgnitionEventRow[]; late: number } {
    const events: IgnitionEventRow[] = [];
    let late = 0;
    let cur: LastState | undefined;
    for (let i = 0; i < c.ts.length; i++) {
      const terminal = c.terminals[c.terminal[i]];
      const ts = c.ts[i];
      const acc: 0 | 1 = (c.status[i] & 1) === 1 ? 1 : 0;
      if (i === 0 || c.terminal[i] !== c.terminal[i - 1]) {
        cur = this.last.get(terminal);
        if (!cur) {
          this.last.set(terminal, (cur = { ts, acc }));
          if (acc === 1) events.push({ terminal, ts, on: 1, latE6: c.latE6[i], lonE6: c.lonE6[i] });
          continue;
        }
      }
      const s = cur!;
      if (ts < s.ts) {
        late++;
        continue;
      }
      if (ts === s.ts) continue; // a resend of the same report
      if (acc !== s.acc) events.push({ terminal, ts, on: acc, latE6: c.latE6[i], lonE6: c.lonE6[i] });
      s.ts = ts;
      s.acc = acc;
    }
    return { events, late };
  }
}
