// Segment files: `<start>.seg`, start being the global position of the file's first byte,
// zero-padded to 16 decimal digits (2^53 has 16) so names sort like positions.
// Invariant kept by the writer: a segment is created only after its predecessor is fully
// fdatasync'ed, so after a crash only the last segment can have a torn tail.
import path from 'node:path';
import { checkRecord, CORRUPT, HEADER_BYTES, recordDataLength } from './record.js';
import type { SpoolIo } from './io.js';

const SUFFIX = '.seg';
const NAME = /^(\d{16})\.seg$/;
const SCAN_CHUNK = 1 << 20;

export function segmentName(start: number): string {
  return String(start).padStart(16, '0') + SUFFIX;
}

export function segmentPath(dir: string, start: number): string {
  return path.join(dir, segmentName(start));
}

/** Start positions of the segment files in dir, ascending. */
export async function listSegments(io: SpoolIo, dir: string): Promise<number[]> {
  const starts: number[] = [];
  for (const name of await io.readdir(dir)) {
    const m = NAME.exec(name);
    if (m) starts.push(Number(m[1]));
  }
  return starts.sort((a, b) => a - b);
}

export interface ScanResult {
  /** Bytes from the file start that hold whole, intact records. */
  validBytes: number;
  records: number;
}

/**
 * Reads a segment from its start and stops at the first incomplete or damaged record.
 * Everything before `validBytes` verified (length + CRC).
 */
export async function scanSegment(io: SpoolIo, fd: number, fileBytes: number): Promise<ScanResult> {
  let buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(fileBytes, HEADER_BYTES)));
  let bufStart = 0; // file offset of buf[0]
  let bufLen = 0;
  let pos = 0; // file offset of the next record
  let records = 0;
  for (;;) {
    const off = pos - bufStart;
    const r = checkRecord(buf, off, bufLen);
    if (r > 0) {
      pos += r;
      records++;
      continue;
    }
    if (r === CORRUPT) break;
    // Incomplete in the buffer: torn if the file ends first, else read on.
    const have = bufLen - off;
    const need = have >= HEADER_BYTES ? HEADER_BYTES + recordDataLength(buf, off) : HEADER_BYTES;
    if (pos + need > fileBytes) break;
    if (buf.length < need) {
      const bigger = Buffer.allocUnsafe(need);
      buf.copy(bigger, 0, off, bufLen);
      buf = bigger;
    } else {
      buf.copy(buf, 0, off, bufLen);
    }
    bufStart = pos;
    bufLen = have;
    const want = Math.min(buf.length - bufLen, fileBytes - (bufStart + bufLen));
    const n = await io.read(fd, buf, bufLen, want, bufStart + bufLen);
    if (n <= 0) break; // file shorter than its stat said: treat as torn
    bufLen += n;
  }
  return { validBytes: pos, records };
}
