/**
 * What every terminal shares with the runner: the resolved configuration, counters, the timer wheel,
 * the output arena and scratch buffers, the run phase. Created once per run (run.ts).
 */
import type { Arena } from './outbox.js';
import type { Rng } from './rng.js';
import type { Stats } from './stats.js';
import type { TimerWheel } from './wheel.js';

export interface FaultRates {
  /** Probability that a location frame is sent twice (same serial). */
  duplicates: number;
  /** Probability that an undecodable candidate frame precedes a message. */
  badFrames: number;
  /** Probability that a write is cut in two, the tail sent a tick later. */
  split: number;
  /** Probability that a write is held and sent together with the next one. */
  sticky: number;
  /** Probability that a live report goes out as a 2-fragment subpackaged message. */
  subpackage: number;
  /** Probability that one fragment of a subpackaged message is held back until the gateway asks (0x8003). */
  fragmentLoss: number;
}

export interface TerminalConfig {
  host: string;
  port: number;
  window: number;
  /** Ms between live reports; 0 = closed loop (keep `window` messages in flight). */
  intervalMs: number;
  /** Send 0x0002 after this long without sending anything; 0 = never. */
  heartbeatMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** 0x0704 items per backlog message. */
  batchItems: number;
  /** Blind-area buffer size; older positions are dropped beyond it. */
  backlogMax: number;
  tickMs: number;
  faults: FaultRates;
}

export const PHASE_RUN = 0;
export const PHASE_DRAIN = 1;
export const PHASE_DONE = 2;

export interface Shared {
  cfg: TerminalConfig;
  stats: Stats;
  wheel: TimerWheel;
  out: Arena;
  /** Scratch for message bodies. */
  body: Buffer;
  /** Where every socket reads into (answers are handled before the next read). */
  readBuffer: Buffer;
  /** Fault and jitter draws (seeded; their order follows network timing, so not part of the truth). */
  rng: Rng;
  phase: number;
  /** Monotonic ms. */
  clock(): number;
  /** Clock value when the run started (offline episodes are relative to it). */
  startedAt: number;
  requestConnect(t: { index: number }): void;
  localAddress(): string | undefined;
}
