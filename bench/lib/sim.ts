/**
 * The load generator as a child process: `node --import tsx simulator/cli.ts … --progress lines
 * --progress-interval 1 --json`. Its progress lines (stderr, one per second: connections, terminals online,
 * cumulative sent/answered, the last second's latency p50/p99) let a benchmark open and close a measurement
 * window in steady state; the JSON report (stdout) arrives when the run ends (`--duration`, or `interrupt()`:
 * SIGINT drains early).
 */
import type { ChildProcess } from 'node:child_process';
import type { RunReport } from '../../simulator/report.js';
import { exited, lines, spawnTs, stopChild, Tail } from './children.js';

export interface SimOptions {
  port: number;
  terminals: number;
  /** Reports per terminal per second; undefined = pass `--interval` in `extra` instead. */
  rate?: number | 'max';
  window: number;
  firstId: number;
  durationS: number;
  seed?: number;
  /** e.g. 127.0.0.2-127.0.0.9 */
  sourceIps?: string;
  ramp?: number;
  heartbeatS?: number;
  drainS?: number;
  timeoutS?: number;
  extra?: readonly string[];
  nodeArgs?: readonly string[];
}

export interface ProgressLine {
  /** performance.now() when the line arrived. */
  at: number;
  elapsedS: number;
  phase: 'run' | 'drain';
  connected: number;
  online: number;
  sent: number;
  answered: number;
  answeredPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const num = (s: string): number => Number(s.replace(/,/g, ''));
const LINE =
  /^\s*(\d+)s (run|drain)\s+conn ([\d,]+)\/[\d,]+ online ([\d,]+)\s+sent ([\d,]+) \([\d,]+\/s\)\s+answered ([\d,]+) \(([\d,]+)\/s\)\s+latency p50 ([\d.]+) ms p99 ([\d.]+) ms\s+errors ([\d,]+)/;

export function parseProgress(line: string, at = performance.now()): ProgressLine | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return {
    at,
    elapsedS: Number(m[1]),
    phase: m[2] as 'run' | 'drain',
    connected: num(m[3]),
    online: num(m[4]),
    sent: num(m[5]),
    answered: num(m[6]),
    answeredPerS: num(m[7]),
    p50Ms: Number(m[8]),
    p99Ms: Number(m[9]),
    errors: num(m[10]),
  };
}

export class Sim {
  readonly child: ChildProcess;
  readonly progress: ProgressLine[] = [];
  readonly tail = new Tail(30);
  /** The JSON report, or undefined when the simulator ended without one. */
  readonly report: Promise<RunReport | undefined>;
  private waiters: { pred: (p: ProgressLine) => boolean; resolve: (p: ProgressLine) => void }[] = [];

  constructor(readonly o: SimOptions) {
    const args = [
      '--port', String(o.port), '--terminals', String(o.terminals), ...(o.rate !== undefined ? ['--rate', String(o.rate)] : []), '--window', String(o.window),
      '--first-id', String(o.firstId), '--duration', String(o.durationS), '--seed', String(o.seed ?? 1),
      '--ramp', String(o.ramp ?? 0), '--heartbeat', String(o.heartbeatS ?? 0), '--drain', String(o.drainS ?? 3),
      '--timeout', String(o.timeoutS ?? 30), '--progress', 'lines', '--progress-interval', '1', '--json',
      ...(o.sourceIps ? ['--source-ips', o.sourceIps] : []), ...(o.extra ?? []),
    ];
    this.child = spawnTs('simulator/cli.ts', args, { stdio: ['ignore', 'pipe', 'pipe'], nodeArgs: o.nodeArgs });
    let out = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (d: string) => (out += d));
    lines(this.child.stderr, (line) => {
      const p = parseProgress(line);
      if (!p) {
        this.tail.push(line);
        return;
      }
      this.progress.push(p);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(p)) return true;
        w.resolve(p);
        return false;
      });
    });
    this.report = exited(this.child).then(() => {
      try {
        return JSON.parse(out) as RunReport;
      } catch {
        return undefined;
      }
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The next progress line satisfying `pred` (checked on lines still to come), or undefined on timeout/exit. */
  next(pred: (p: ProgressLine) => boolean, timeoutMs: number): Promise<ProgressLine | undefined> {
    if (!this.running) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const w = { pred, resolve: (p: ProgressLine | undefined) => { clearTimeout(timer); resolve(p); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(w as { pred: (p: ProgressLine) => boolean; resolve: (p: ProgressLine) => void });
      this.child.once('exit', () => w.resolve(undefined));
    });
  }

  /** Ends the run phase early (SIGINT: the simulator drains, then reports); SIGKILL after `graceMs`. */
  async interrupt(graceMs = 30_000): Promise<RunReport | undefined> {
    await stopChild(this.child, 'SIGINT', graceMs);
    return this.report;
  }
}
