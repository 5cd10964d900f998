/**
 * How a session stores a record: reserve room, write the record in place, seal. The Spool does this in its
 * write buffer, so the body is copied once, from the frame. Any other SpoolWriter (the tests' in-memory
 * spool) is given a scratch buffer and an append.
 */
import type { SpoolWriter } from './types.js';

export interface RecordWriter {
  /** Offset in `reservedBuffer` for a record of `length` bytes, or -1 when the spool refuses. */
  reserve(length: number): number;
  readonly reservedBuffer: Buffer;
  /** Accepts the reserved record, written; its end position, or -1 when the spool refuses. */
  seal(length: number, stampMs: number): number;
  readonly durablePosition: number;
}

const SCRATCH_BYTES = 64 * 1024;

class AppendWriter implements RecordWriter {
  reservedBuffer = Buffer.allocUnsafe(SCRATCH_BYTES);

  constructor(private readonly spool: SpoolWriter) {}

  get durablePosition(): number {
    return this.spool.durablePosition;
  }

  reserve(length: number): number {
    if (length > this.reservedBuffer.length) this.reservedBuffer = Buffer.allocUnsafe(length); // rare: large reassembled bodies
    return 0;
  }

  seal(length: number, stampMs: number): number {
    return this.spool.append(this.reservedBuffer.subarray(0, length), stampMs);
  }
}

function writesInPlace(spool: SpoolWriter): spool is SpoolWriter & RecordWriter {
  return typeof (spool as Partial<RecordWriter>).reserve === 'function';
}

/** The spool itself when it writes in place, else an adapter over its `append`. */
export function recordWriter(spool: SpoolWriter): RecordWriter {
  return writesInPlace(spool) ? spool : new AppendWriter(spool);
}
