/**
 * Gives a connection storm's garbage back once the storm has passed. Thousands of terminals connecting (or
 * leaving) at once fill V8's old space with the storm's short-lived objects, and under steady heartbeat
 * traffic V8's own memory reducer leaves them there for ~100 s: 19,000 terminals held 5.0 KB of RSS per
 * connection 20 s after connecting, 3.4 KB after one full collection (bench/RESULTS.md, "Connections").
 *
 * So: once a burst of at least `minChurn` connections opened or closed is followed by `calmMs` without any,
 * and V8 ran no major collection during that calm, one full collection is requested, at most once per
 * `minIntervalMs`. It pauses the process once (~0.1 s at 19,000 connections), which delays every answer due in
 * that time: so it waits for a calm in which the terminals sent at most `maxFramesPerConnection` frames per
 * second each on average (a fleet reporting every few seconds or less often; not a load test at 2 reports per
 * second per terminal, where a 0.15-s pause took the answer p99 from 16 to 37 ms). A gateway that stays busy
 * keeps the storm's garbage until V8 collects it on its own. `minChurn = 0` turns it off.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export interface TrimLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HeapTrimOptions {
  /** Connections opened or closed in one burst that make it a storm; 0 = never trim. */
  minChurn: number;
  /** Connections opened plus closed since start (a running total the gateway keeps). */
  churn(): number;
  /** Frames received since start, and the connections open now: how busy the calm is. */
  frames(): number;
  connections(): number;
  /** Busiest calm that still gets a trim, in frames per second per open connection. */
  maxFramesPerConnection?: number;
  /** One full collection; rejects when the runtime cannot do it. */
  collect(): Promise<void>;
  log: TrimLog;
  /** Called after each trim with its pause. */
  trimmed?(pauseMs: number): void;
  /** Quiet time that ends a burst. */
  calmMs?: number;
  minIntervalMs?: number;
  /** How often the churn total is looked at. */
  tickMs?: number;
  now?: () => number;
}

export const HEAP_TRIM_CALM_MS = 10_000;
export const HEAP_TRIM_MIN_INTERVAL_MS = 60_000;
export const HEAP_TRIM_MAX_FRAMES_PER_CONNECTION = 1;

export class HeapTrim {
  private readonly calmMs: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private seenChurn: number;
  /** Connections opened or closed in the current burst, and when the last one was seen. */
  private burst = 0;
  private lastChurnAt = 0;
  /** Start of the calm being watched, and the frame total then. */
  private calmFrom = 0;
  private framesAtCalm = 0;
  private lastTrimAt = -Infinity;
  private lastMajorGcAt = -Infinity;
  private collecting = false;
  private disabled = false;
  private timer: NodeJS.Timeout | undefined;
  private observer: PerformanceObserver | undefined;

  constructor(private readonly o: HeapTrimOptions) {
    this.calmMs = o.calmMs ?? HEAP_TRIM_CALM_MS;
    this.minIntervalMs = o.minIntervalMs ?? HEAP_TRIM_MIN_INTERVAL_MS;
    this.now = o.now ?? Date.now;
    this.seenChurn = o.churn();
  }

  /** Starts watching (a 1-s timer and V8's major collections); nothing when minChurn is 0. */
  start(): void {
    if (this.o.minChurn <= 0 || this.timer) return;
    // A failure here must never become an unhandled rejection (which ends the process).
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => this.o.log.warn({ err }, 'heap trim check failed')), this.o.tickMs ?? 1000);
    this.timer.unref();
    // A major collection V8 ran by itself during the calm already freed the storm's garbage.
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (isMajor(e)) this.majorGcSeen();
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** V8 finished a major collection now. */
  majorGcSeen(): void {
    this.lastMajorGcAt = this.now();
  }

  /** Looks at the churn since the last tick; trims when a storm has calmed down. Never throws. */
  async tick(): Promise<void> {
    const now = this.now();
    const churn = this.o.churn();
    if (churn !== this.seenChurn) {
      this.burst += churn - this.seenChurn;
      this.seenChurn = churn;
      this.lastChurnAt = now;
      this.startCalm(now);
      return;
    }
    if (this.disabled || this.collecting || this.burst < this.o.minChurn || now - this.calmFrom < this.calmMs) return;
    if (now - this.lastTrimAt < this.minIntervalMs) return;
    if (this.lastMajorGcAt > this.lastChurnAt) {
      this.burst = 0;
      return;
    }
    const framesPerS = ((this.o.frames() - this.framesAtCalm) * 1000) / (now - this.calmFrom);
    const limit = (this.o.maxFramesPerConnection ?? HEAP_TRIM_MAX_FRAMES_PER_CONNECTION) * Math.max(1, this.o.connections());
    if (framesPerS > limit) {
      // Busy: the pause would hold too many answers. Watch the next calm period instead.
      this.startCalm(now);
      return;
    }
    const burst = this.burst;
    this.burst = 0;
    if (await this.trim(`a burst of ${burst} connections opened or closed`)) this.lastTrimAt = now;
  }

  private startCalm(now: number): void {
    this.calmFrom = now;
    this.framesAtCalm = this.o.frames();
  }

  /**
   * One full collection now, logged with what it gave back; false when none ran. Also called once at start-up
   * (migrations, the registry and the engine's first queries leave garbage too), which does not count against
   * the minimum interval: the first storm may follow at once.
   */
  async trim(why: string): Promise<boolean> {
    if (this.collecting || this.disabled) return false;
    this.collecting = true;
    const before = sizes();
    const t0 = performance.now();
    try {
      await this.o.collect();
    } catch (err) {
      this.disabled = true;
      this.o.log.warn({ err }, 'heap trim unavailable (no full collection from this runtime); turned off');
      return false;
    } finally {
      this.collecting = false;
    }
    const pauseMs = performance.now() - t0;
    const after = sizes();
    this.o.trimmed?.(pauseMs);
    this.o.log.info({ why, pauseMs: Math.round(pauseMs), heapMiB: [before.heapMiB, after.heapMiB], rssMiB: [before.rssMiB, after.rssMiB] }, 'heap trimmed');
    return true;
  }
}

function isMajor(e: PerformanceEntry): boolean {
  return (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/** V8's committed heap and the process RSS, MiB, for the log line (RSS NaN where the OS will not say). */
function sizes(): { heapMiB: number; rssMiB: number } {
  let rss = NaN;
  try {
    rss = process.memoryUsage.rss();
  } catch {
    // Reported as null in the log line; the trim itself does not depend on it.
  }
  return { heapMiB: mib(getHeapStatistics().total_heap_size), rssMiB: mib(rss) };
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 18) / 4;
}

/**
 * A full collection through the inspector protocol (HeapProfiler.collectGarbage) in this process: a public
 * API, no V8 flags and no port. Rejects where Node was built without the inspector.
 */
export async function collectGarbage(): Promise<void> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
  } finally {
    // Disconnecting inside the post callback hangs Node 20's inspector: leave the callback first.
    await new Promise((r) => setImmediate(r));
    session.disconnect();
  }
}
