/**
 * Spool records → what the sink takes for one read: rows decoded, then validated and encoded for ClickHouse
 * (store/encode-positions.ts). The one path for the worker and for the main thread (threads = 0). RowBinary (the
 * embedded engine) goes the one-pass way without row objects (decode-row-binary.ts), with the same result.
 */
import { encodePositions } from '../store/encode-positions.js';
import type { DecodedBatch, EncodeContext } from '../store/rows.js';
import { decodeReadRowBinary } from './decode-row-binary.js';
import { decodeRecords, type DecodeStats, type SpooledRecord } from './decode-records.js';

export type DecodedRead = DecodedBatch & { stats: DecodeStats };

export function decodeRead(records: readonly SpooledRecord[], ctx: EncodeContext): Promise<DecodedRead> {
  return ctx.format === 'RowBinary' ? decodeReadRowBinary(records, ctx) : decodeReadRows(records, ctx);
}

/** Rows as objects, then encoded by encodePositions: the text formats' path, and the reference for RowBinary. */
export async function decodeReadRows(records: readonly SpooledRecord[], ctx: EncodeContext): Promise<DecodedRead> {
  const d = decodeRecords(records);
  // Ignition events are derived on the main thread, where the tracker's state lives (stage.ts).
  return { positions: await encodePositions(d.positions, ctx), ignition: [], terminals: d.terminals, stats: d.stats };
}

/** The buffers to transfer back (moved, not cloned): the body and the columns' one ArrayBuffer. */
export function transferables(d: DecodedRead): ArrayBuffer[] {
  const list = [d.positions.body.buffer as ArrayBuffer];
  const columns = d.positions.columns.ts.buffer as ArrayBuffer;
  if (columns !== list[0]) list.push(columns);
  return list;
}
