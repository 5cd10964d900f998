/**
 * Piscina worker entry: one task = one packed batch of spool records → the sink's read (encoded body and
 * columns transferred back; only the per-terminal objects and rare registrations are cloned).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { EncodeContext } from '../store/rows.js';
import { unpackRecords } from './batch.js';
import { decodeRead, transferables } from './decode-read.js';

export default async function decodeBatch(task: { records: ArrayBuffer; ctx: EncodeContext }) {
  const d = await decodeRead(unpackRecords(task.records), task.ctx);
  return move({ [transferableSymbol]: transferables(d), [valueSymbol]: d } as never);
}
