/**
 * One read's decoded positions → what the sink and the main thread need (rows.ts EncodedPositions): the
 * validated insert body, late-day marks, and columns with each terminal's newest row marked. Runs in the decode
 * worker (DESIGN.md: "encode rows for ClickHouse: worker"), or on the main thread with FLEETGATE_DECODE_THREADS=0.
 */
import { encodeBytes, positionCodec, type ByteWriter } from './encode.js';
import { lateMarks } from './late-marks.js';
import { positionColumns } from './position-columns.js';
import { positionRowBinary } from './position-row-binary.js';
import type { DecodedBatch, EncodeContext, EncodedPositions, PositionRow, RowBatch } from './rows.js';
import { Zone } from './timezone.js';

// One per server flavour and zone: a worker serves one sink, so these hold one entry each.
const codecs = new Map<string, ByteWriter<PositionRow>>();
const zones = new Map<string, Zone>();

/** The Zone for a timezone name, built once (the RowBinary decode path shares it). */
export function zoneFor(timezone: string): Zone {
  let zone = zones.get(timezone);
  if (!zone) zones.set(timezone, (zone = new Zone(timezone)));
  return zone;
}

export async function encodePositions(rows: readonly PositionRow[], ctx: EncodeContext): Promise<EncodedPositions> {
  const key = `${ctx.format}:${ctx.extrasColumn}`;
  let codec = codecs.get(key);
  if (!codec) codecs.set(key, (codec = ctx.format === 'RowBinary' ? positionRowBinary : positionCodec(ctx.format, ctx.extrasColumn)));
  const zone = zoneFor(ctx.timezone);

  const { bytes, valid } = await encodeBytes(rows, codec);
  let minRecvTs = Infinity;
  for (const r of valid) if (r.recvTs < minRecvTs) minRecvTs = r.recvTs;
  return {
    body: bytes,
    rows: valid.length,
    rejected: rows.length - valid.length,
    minRecvTs,
    columns: positionColumns(valid),
    marks: lateMarks(valid, zone, ctx.todayStart),
  };
}

/** Adapts a decode that returns row objects (tests, benches) to the sink's contract. */
export function rowDecode<R>(decode: (records: R[]) => Promise<RowBatch>): (records: R[], ctx: EncodeContext) => Promise<DecodedBatch> {
  return async (records, ctx) => {
    const b = await decode(records);
    return { positions: await encodePositions(b.positions, ctx), ignition: b.ignition, terminals: b.terminals };
  };
}
