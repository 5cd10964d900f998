/**
 * An in-memory spool: records are numbered 0…n-1, positions are record indexes, `read(maxBytes)` returns whole
 * records up to maxBytes (at least one) — deterministic from a position, like the real spool consumer.
 */
import type { SpoolSource } from '../../../src/store/sink.js';

export interface FakeRecord {
  seq: number;
  bytes: number;
}

export class FakeSpool implements SpoolSource<FakeRecord, number> {
  committed = 0;
  private cursor = 0;
  readonly commits: number[] = [];
  /** Make the next n commits throw. */
  failCommits = 0;
  /** Make every commit past this position throw (a process that dies before checkpointing). */
  failCommitsAfter = Number.POSITIVE_INFINITY;

  constructor(
    readonly total: number,
    readonly recordBytes = 100,
  ) {}

  /** Appends more records (a live spool growing). */
  grow(n: number): void {
    (this as { total: number }).total += n;
  }

  /** Simulates a process restart: reading resumes at the last commit. */
  restart(): void {
    this.cursor = this.committed;
  }

  async read(maxBytes: number): Promise<{ records: FakeRecord[]; next: number }> {
    const n = Math.max(1, Math.floor(maxBytes / this.recordBytes));
    const end = Math.min(this.total, this.cursor + n);
    const records: FakeRecord[] = [];
    for (let s = this.cursor; s < end; s++) records.push({ seq: s, bytes: this.recordBytes });
    this.cursor = end;
    return { records, next: end };
  }

  async commit(position: number): Promise<void> {
    if (position > this.failCommitsAfter) throw new Error('spool commit failed (injected crash)');
    if (this.failCommits > 0) {
      this.failCommits--;
      throw new Error('spool commit failed (injected)');
    }
    if (position < this.committed) throw new Error(`commit went backwards: ${position} < ${this.committed}`);
    this.committed = position;
    this.commits.push(position);
  }
}
