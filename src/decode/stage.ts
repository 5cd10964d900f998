/**
 * The decode stage as the sink sees it (its DecodeFn): decode and encode a read (worker or main thread), then
 * on the main thread feed what keeps state there from the read's columns: ignition events, the latest-position
 * cache and track-cache invalidation.
 */
import type { DecodedBatch, EncodeContext, PositionColumns } from '../store/rows.js';
import type { SpooledRecord } from './decode-records.js';
import type { IgnitionTracker } from './ignition.js';
import type { Decoder } from './pool.js';

export interface StageParts {
  decoder: Decoder;
  ignition: IgnitionTracker;
  /** Takes each read's newest row per terminal (columns.latest). */
  latest: { update(columns: PositionColumns): void };
  /** Told which terminals have rows decoded up to a spool position (not yet committed). */
  trackCache?: { decoded(position: number, terminals: Iterable<string>): void };
  /** Seconds each decode call took (a metric). */
  observe?: (seconds: number) => void;
}

export function decodeStage<R extends SpooledRecord & { position: number }>(p: StageParts): (records: R[], ctx: EncodeContext) => Promise<DecodedBatch> {
  return async (records, ctx) => {
    const started = process.hrtime.bigint();
    const batch = await p.decoder.decode(records, ctx);
    p.observe?.(Number(process.hrtime.bigint() - started) / 1e9);
    const { columns } = batch.positions;
    batch.ignition = p.ignition.track(columns).events;
    p.latest.update(columns);
    if (records.length > 0) p.trackCache?.decoded(records[records.length - 1].position, columns.terminals);
    return batch;
  };
}
