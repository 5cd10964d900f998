/**
 * Piscina worker entry: one task = one packed batch of spool records → rows.
 */
import { unpackRecords } from './batch.js';
import { decodeRecords } from './decode-records.js';

export default function decodeBatch(task: { records: ArrayBuffer }) {
  return decodeRecords(unpackRecords(task.records));
}
