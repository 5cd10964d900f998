/**
 * Records travel to a decode worker as one transferred ArrayBuffer, never one message per frame
 * (posting a frame costs more than decoding it, DESIGN.md). Layout per record: f64 stampMs, u32 length,
 * bytes.
 */
import type { SpooledRecord } from './decode-records.js';

const RECORD_OVERHEAD = 12;

export function packRecords(records: readonly SpooledRecord[]): ArrayBuffer {
  let size = 0;
  for (const r of records) size += RECORD_OVERHEAD + r.data.length;
  const ab = new ArrayBuffer(size);
  const view = new DataView(ab);
  const bytes = new Uint8Array(ab);
  let at = 0;
  for (const r of records) {
    view.setFloat64(at, r.stampMs);
    view.setUint32(at + 8, r.data.length);
    bytes.set(r.data, at + RECORD_OVERHEAD);
    at += RECORD_OVERHEAD + r.data.length;
  }
  return ab;
}

export function unpackRecords(ab: ArrayBuffer): SpooledRecord[] {
  const view = new DataView(ab);
  const out: SpooledRecord[] = [];
  let at = 0;
  while (at + RECORD_OVERHEAD <= ab.byteLength) {
    const stampMs = view.getFloat64(at);
    const len = view.getUint32(at + 8);
    const start = at + RECORD_OVERHEAD;
    if (start + len > ab.byteLength) break;
    out.push({ stampMs, data: Buffer.from(ab, start, len) });
    at = start + len;
  }
  return out;
}
