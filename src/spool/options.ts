// Spool settings: defaults and validation in one place, checked before anything touches the disk.
import type { SpoolIo } from './io.js';
import { HEADER_BYTES } from './record.js';

export interface SpoolOptions {
  /** Directory for segments, checkpoints and the lock; created if missing. */
  dir: string;
  /** Target segment file size; a record never spans two files. Default 64 MiB. */
  segmentBytes?: number;
  /** Minimum time between group commits (write + fdatasync); 0 commits as soon as the last one ends. Default 2. */
  fsyncIntervalMs?: number;
  /** Unconsumed bytes (head - slowest checkpoint) at which 'high-water' fires. Default 4 GiB. */
  maxUnconsumedBytes?: number;
  /** 'low-water' fires when unconsumed bytes fall to this share of maxUnconsumedBytes. Default 0.8. */
  lowWaterRatio?: number;
  /** Memory for records not yet durable: two buffers of half this. Also bounds a record's size. Default 8 MiB. */
  maxPendingBytes?: number;
  /** Keep segments every consumer has passed for this many days (by file mtime), then delete. Default 0. */
  rawRetentionDays?: number;
  /** After a disk error, retry the failed group commit this often (ms). Default 1000. */
  retryIntervalMs?: number;
  /** How often to look for expired archive segments when rawRetentionDays > 0 (ms). Default 60 000. */
  retentionCheckMs?: number;
  /** Replace file operations (tests inject ENOSPC/EIO or a stalled disk; benches time fsyncs). */
  io?: Partial<SpoolIo>;
}

export interface SpoolConfig {
  dir: string;
  segmentBytes: number;
  fsyncIntervalMs: number;
  maxUnconsumedBytes: number;
  lowUnconsumedBytes: number;
  /** Capacity of each of the two write buffers. */
  bufferBytes: number;
  retentionMs: number;
  retryIntervalMs: number;
  retentionCheckMs: number;
}

const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

function num(value: number | undefined, fallback: number, min: number, name: string, max = Infinity): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`spool option ${name} must be a number in [${min}, ${max}], got ${String(value)}`);
  }
  return v;
}

export function normalizeOptions(o: SpoolOptions): SpoolConfig {
  if (typeof o.dir !== 'string' || o.dir === '') throw new TypeError('spool option dir is required');
  const maxUnconsumedBytes = num(o.maxUnconsumedBytes, 4096 * MiB, 1, 'maxUnconsumedBytes');
  const ratio = num(o.lowWaterRatio, 0.8, 0, 'lowWaterRatio', 0.99);
  return {
    dir: o.dir,
    segmentBytes: num(o.segmentBytes, 64 * MiB, HEADER_BYTES + 1, 'segmentBytes'),
    fsyncIntervalMs: num(o.fsyncIntervalMs, 2, 0, 'fsyncIntervalMs', 60_000),
    maxUnconsumedBytes,
    lowUnconsumedBytes: Math.floor(maxUnconsumedBytes * ratio),
    bufferBytes: Math.floor(num(o.maxPendingBytes, 8 * MiB, 4 * HEADER_BYTES, 'maxPendingBytes', 2 ** 31) / 2),
    retentionMs: num(o.rawRetentionDays, 0, 0, 'rawRetentionDays') * DAY_MS,
    retryIntervalMs: num(o.retryIntervalMs, 1000, 1, 'retryIntervalMs'),
    retentionCheckMs: num(o.retentionCheckMs, 60_000, 1, 'retentionCheckMs'),
  };
}
