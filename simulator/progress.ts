/**
 * Live progress: one line refreshed in place on a TTY, plain lines every few seconds otherwise (logs,
 * CI). Rates are per second over the last interval; latency percentiles over the last interval too.
 */
import type { Stats } from './stats.js';
import { S_ONLINE, type Terminal } from './terminal.js';

export type ProgressMode = 'auto' | 'tty' | 'lines' | 'off';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (us: number): string => (us >= 10_000 ? (us / 1000).toFixed(0) : (us / 1000).toFixed(1));

export class Progress {
  private readonly mode: 'tty' | 'lines' | 'off';
  private lastMs = 0;
  private lastSent = 0;
  private lastAnswered = 0;
  private lastPrinted = -Infinity;
  private drawn = false;

  constructor(
    mode: ProgressMode,
    private readonly io: { err(text: string): void; isTTY: boolean },
    private readonly intervalS: number,
    private readonly fleetSize: number,
  ) {
    this.mode = mode === 'auto' ? (io.isTTY ? 'tty' : 'lines') : mode;
  }

  /** Called every second. */
  update(elapsedMs: number, st: Stats, terminals: readonly Terminal[], phase: number): void {
    if (this.mode === 'off') return;
    const dt = (elapsedMs - this.lastMs) / 1000;
    const sentRate = dt > 0 ? (st.sent - this.lastSent) / dt : 0;
    const answeredRate = dt > 0 ? (st.answered - this.lastAnswered) / dt : 0;
    this.lastMs = elapsedMs;
    this.lastSent = st.sent;
    this.lastAnswered = st.answered;
    let backlog = 0;
    let lag = 0;
    let online = 0;
    for (const t of terminals) {
      backlog += t.backlog.size;
      if (t.lagMs > lag) lag = t.lagMs;
      if (t.state === S_ONLINE) online++;
    }
    const p50 = st.recent.quantileUs(0.5);
    const p99 = st.recent.quantileUs(0.99);
    st.recent.reset();
    const line =
      `${(elapsedMs / 1000).toFixed(0).padStart(4)}s ${phase === 0 ? 'run  ' : 'drain'} ` +
      `conn ${fmt(st.connected)}/${fmt(this.fleetSize)} online ${fmt(online)}  ` +
      `sent ${fmt(st.sent)} (${fmt(sentRate)}/s)  answered ${fmt(st.answered)} (${fmt(answeredRate)}/s)  ` +
      `latency p50 ${ms(p50)} ms p99 ${ms(p99)} ms  errors ${fmt(st.failureCount + st.connectFailed)}` +
      (backlog > 0 ? `  backlog ${fmt(backlog)}` : '') +
      (lag > 1000 ? `  behind ${(lag / 1000).toFixed(1)} s` : '');
    if (this.mode === 'tty') {
      this.io.err(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else if (elapsedMs - this.lastPrinted >= this.intervalS * 1000 - 50) {
      this.lastPrinted = elapsedMs;
      this.io.err(`${line}\n`);
    }
  }

  finish(_elapsedMs: number, _st: Stats, _terminals: readonly Terminal[]): void {
    if (this.mode === 'tty' && this.drawn) this.io.err('\n');
  }
}
