/** Exponential backoff with full jitter, abortable: the sink's retry policy for a ClickHouse that is slow or down. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** First delay, ms. Default 100. */
  initialMs?: number;
  /** Ceiling, ms. Default 30 000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs ?? 30_000, (o.initialMs ?? 100) * (o.factor ?? 2) ** attempt);
  // Half fixed, half random: spreads reconnect storms without ever retrying immediately.
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Resolves after ms, or rejects with the signal's reason when aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, signal ? { signal } : undefined);
}

/** Runs fn until it succeeds; each failure is reported and followed by a backoff sleep. */
export async function retryForever<T>(
  fn: () => Promise<T>,
  onFailure: (err: unknown, attempt: number, delayMs: number) => void,
  o: BackoffOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      const delay = backoffDelay(attempt, o);
      onFailure(err, attempt, delay);
      await abortableSleep(delay, signal);
    }
  }
}
