/**
 * Durable acknowledgement ordering: an answer may be written only once the spool's fsynced position
 * covers the record it answers (DESIGN.md, spool). Held answers wait here, for every session together,
 * in position order, as ranges of the shared answer slabs (reply-writer.ts); each group commit writes
 * the ones it covers, consecutive answers of one session in one write.
 */
export interface HeldReplies {
  /** Writes buf[start, end): `count` held answers, now durable. */
  releaseHeld(buf: Buffer, start: number, end: number, count: number): void;
}

export class AckGate {
  // Parallel arrays, one entry per held answer, consumed from `head`: no object per answer.
  private positions: number[] = [];
  private holders: Array<HeldReplies | undefined> = [];
  private bufs: Array<Buffer | undefined> = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private head = 0;
  private highest = 0;

  /**
   * Holds buf[start, end), an answer of `holder`, until `position` is durable. The queue stays sorted:
   * a position older than the newest one queued (an answer that waited for something else, e.g. a
   * registry write) is queued at the newest, which only delays it until that later commit.
   */
  hold(position: number, holder: HeldReplies, buf: Buffer, start: number, end: number): void {
    if (position > this.highest) this.highest = position;
    this.positions.push(this.highest);
    this.holders.push(holder);
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
  }

  get waiting(): number {
    return this.positions.length - this.head;
  }

  /** Called after each group commit. */
  release(durable: number): void {
    const { positions, holders, bufs, starts, ends } = this;
    const n = positions.length;
    let i = this.head;
    while (i < n && positions[i] <= durable) {
      const holder = holders[i]!;
      const buf = bufs[i]!;
      const start = starts[i];
      let end = ends[i];
      let count = 1;
      holders[i] = bufs[i] = undefined; // let closed sessions and old slabs be collected
      // Answers of one session that sit next to each other in one slab leave together.
      while (++i < n && positions[i] <= durable && holders[i] === holder && bufs[i] === buf && starts[i] === end) {
        end = ends[i];
        holders[i] = bufs[i] = undefined;
        count++;
      }
      this.head = i; // before the callback: a write may re-enter (an error closing the session)
      holder.releaseHeld(buf, start, end, count);
    }
    if (this.head === positions.length) {
      this.head = positions.length = holders.length = bufs.length = starts.length = ends.length = 0;
    } else if (this.head > 1024 && this.head * 2 > positions.length) {
      const h = this.head;
      this.positions = positions.slice(h);
      this.holders = holders.slice(h);
      this.bufs = bufs.slice(h);
      this.starts = starts.slice(h);
      this.ends = ends.slice(h);
      this.head = 0;
    }
  }
}
