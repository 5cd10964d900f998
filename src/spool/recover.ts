// Opening a spool directory: read the checkpoints, find the segments, and repair the tail.
// Only the last segment can be torn (see segment.ts), so only it is scanned record by record.
import { closeQuietly, fsyncDir, type SpoolIo } from './io.js';
import { listSegments, scanSegment, segmentPath } from './segment.js';
import { readCheckpoints } from './checkpoint.js';
import type { Segment } from './segment-writer.js';

export interface RecoveryReport {
  segments: number;
  /** Bytes cut from the last segment's torn or damaged tail. */
  truncatedBytes: number;
  /** Intact records found in the last segment. */
  scannedRecords: number;
  headPosition: number;
  /** Bytes between the data on disk and a checkpoint beyond it (lost outside the spool's control). */
  gapBytes: number;
}

export interface Recovered {
  segments: Segment[];
  /** The last segment, open for writing. */
  fd: number;
  head: number;
  checkpoints: Map<string, number>;
  report: RecoveryReport;
}

export async function recover(io: SpoolIo, dir: string, needAges: boolean): Promise<Recovered> {
  let fd = -1;
  try {
    const checkpoints = await readCheckpoints(io, dir);
    const maxCheckpoint = Math.max(0, ...checkpoints.values());
    const starts = await listSegments(io, dir);
    let truncatedBytes = 0;
    let scannedRecords = 0;
    let head: number;
    if (starts.length === 0) {
      head = maxCheckpoint; // positions never go back, even if the segments were wiped
      fd = await io.open(segmentPath(dir, head), 'w');
      await fsyncDir(io, dir);
      starts.push(head);
    } else {
      const last = starts[starts.length - 1];
      fd = await io.open(segmentPath(dir, last), 'r+');
      const { size } = await io.fstat(fd);
      const scan = await scanSegment(io, fd, size);
      scannedRecords = scan.records;
      if (scan.validBytes < size) {
        await io.ftruncate(fd, scan.validBytes);
        await io.fsync(fd);
        truncatedBytes = size - scan.validBytes;
      }
      head = last + scan.validBytes;
    }
    let gapBytes = 0;
    if (maxCheckpoint > head) {
      // A consumer is past the data on disk. Continue after it, so no new record can hide behind
      // its checkpoint; readers skip the gap.
      gapBytes = maxCheckpoint - head;
      await closeQuietly(io, fd);
      fd = -1;
      head = maxCheckpoint;
      fd = await io.open(segmentPath(dir, head), 'w');
      await fsyncDir(io, dir);
      starts.push(head);
    }
    const segments: Segment[] = [];
    for (let i = 0; i < starts.length; i++) {
      // mtime of a complete segment is the age of its newest record; only retention needs it.
      const closedAtMs = needAges && i < starts.length - 1 ? (await io.stat(segmentPath(dir, starts[i]))).mtimeMs : 0;
      segments.push({ start: starts[i], closedAtMs });
    }
    return {
      segments,
      fd,
      head,
      checkpoints,
      report: { segments: segments.length, truncatedBytes, scannedRecords, headPosition: head, gapBytes },
    };
  } catch (err) {
    if (fd >= 0) await closeQuietly(io, fd);
    throw err;
  }
}
