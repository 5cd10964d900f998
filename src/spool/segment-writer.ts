// Writes the spool's write buffers into segment files: pwrite at the record's file offset, then
// fdatasync, one segment at a time. Owns the active segment's fd and the list of segments.
import { closeQuietly, fsyncDir, writeFully, type SpoolIo } from './io.js';
import { segmentPath } from './segment.js';
import type { WriteBuffer } from './write-buffer.js';

export interface Segment {
  /** Global position of the file's first byte (its name). */
  start: number;
  /** When it stopped being written (mtime after a restart): the age raw retention uses. 0 if unknown. */
  closedAtMs: number;
}

export class SegmentWriter {
  /** Successful fdatasync calls. */
  fsyncs = 0;
  private fd: number;
  private activeStart: number;
  /** The last write or fsync failed: the fd's page cache is suspect. */
  private needReopen = false;
  /** A segment file was created and the directory not yet fsync'ed. */
  private dirDirty = false;

  /** segments: ascending, the last one open for writing as fd. Shared with the spool (cleanup, reads). */
  constructor(
    private readonly io: SpoolIo,
    private readonly dir: string,
    readonly segments: Segment[],
    fd: number,
  ) {
    this.fd = fd;
    this.activeStart = segments[segments.length - 1].start;
  }

  /**
   * Writes wb from global position `from` (durable so far, inside wb) to its end, segment by
   * segment, calling onDurable(pos) after each fdatasync. Rejects on the first error; calling it
   * again with the durable position resumes the same buffer.
   */
  async write(wb: WriteBuffer, from: number, onDurable: (pos: number) => void): Promise<void> {
    try {
      const end = wb.end;
      const rolls = wb.rolls;
      let pos = from;
      let ri = 0;
      while (ri < rolls.length && rolls[ri] < pos) ri++;
      if (this.needReopen) await this.reopenAt(pos, ri < rolls.length && rolls[ri] === pos);
      while (pos < end) {
        if (ri < rolls.length && rolls[ri] === pos) {
          await this.rollTo(pos);
          ri++;
        }
        const chunkEnd = ri < rolls.length ? rolls[ri] : end;
        await writeFully(this.io, this.fd, wb.buf, pos - wb.base, chunkEnd - pos, pos - this.activeStart);
        await this.io.fdatasync(this.fd);
        this.fsyncs++;
        pos = chunkEnd;
        onDurable(pos);
      }
    } catch (err) {
      this.needReopen = true;
      throw err;
    }
  }

  /**
   * Starts the segment file at pos. The previous segment is already fdatasync'ed (pos is durable),
   * which keeps the recovery invariant: only the last segment can be torn.
   */
  private async rollTo(pos: number): Promise<void> {
    if (this.activeStart !== pos || this.fd < 0) {
      await this.closeFd();
      const last = this.segments[this.segments.length - 1];
      // 'w' truncates a half-made file left by a failed attempt: nothing at pos is durable yet.
      this.fd = await this.io.open(segmentPath(this.dir, pos), 'w');
      this.activeStart = pos;
      this.dirDirty = true;
      if (last.start !== pos) {
        last.closedAtMs = Date.now();
        this.segments.push({ start: pos, closedAtMs: 0 });
      }
    }
    // The new file's name must be durable before any record in it is reported durable.
    if (this.dirDirty) {
      await fsyncDir(this.io, this.dir);
      this.dirDirty = false;
    }
  }

  /**
   * After a failed write or fsync the fd's page cache is not to be trusted: a failed fsync may
   * have dropped the dirty pages, and a later fsync then succeeds without the data ("fsyncgate").
   * Reopen, cut the file back to the durable offset (dropping any partial group, and freeing its
   * blocks on ENOSPC), and let write() rewrite everything from the spool's own buffer.
   */
  private async reopenAt(pos: number, atRoll: boolean): Promise<void> {
    await this.closeFd();
    if (!atRoll || this.activeStart === pos) {
      this.fd = await this.io.open(segmentPath(this.dir, this.activeStart), 'r+');
      await this.io.ftruncate(this.fd, pos - this.activeStart);
    }
    // else pos starts a segment not yet created: rollTo makes it
    this.needReopen = false;
  }

  private async closeFd(): Promise<void> {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      await closeQuietly(this.io, fd);
    }
  }

  close(): Promise<void> {
    return this.closeFd();
  }
}
