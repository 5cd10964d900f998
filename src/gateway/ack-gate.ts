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

/** Entries whose storage an empty gate keeps (a steady load at 8 in flight holds a few thousand). */
const KEEP_ENTRIES = 65_536;

export class AckGate {
  // Parallel arrays, one entry per held answer in [head, tail): no object per answer. Emptied by moving
  // `tail`, not by `length = 0`, which frees their backing stores and made every commit grow them again.
  private positions: number[] = [];
  private holders: Array<HeldReplies | undefined> = [];
  private bufs: Array<Buffer | undefined> = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private head = 0;
  private tail = 0;
  private highest = 0;

  /**
   * Holds buf[start, end), an answer of `holder`, until `position` is durable. The queue stays sorted:
   * a position older than the newest one queued (an answer that waited for something else, e.g. a
   * registry write) is queued at the newest, which only delays it until that later commit.
   */
  hold(position: number, holder: HeldReplies, buf: Buffer, start: number, end: number): void {
    if (position > this.highest) this.highest = position;
    const t = this.tail++;
    if (t < this.positions.length) {
      this.positions[t] = this.highest;
      this.holders[t] = holder;
      this.bufs[t] = buf;
      this.starts[t] = start;
      this.ends[t] = end;
    } else {
      this.positions.push(this.highest);
      this.holders.push(holder);
      this.bufs.push(buf);
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  get waiting(): number {
    return this.tail - this.head;
  }

  /** Called after each group commit. */
  release(durable: number): void {
    const { positions, holders, bufs, starts, ends } = this;
    const n = this.tail;
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
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      // After a burst, give the memory back rather than keep the arrays at their peak size.
      if (positions.length > KEEP_ENTRIES) positions.length = holders.length = bufs.length = starts.length = ends.length = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      // Under steady load the gate is seldom empty at a commit: move the rest to the front in place (a
      // `slice` would leave arrays of exactly that size, to be grown again by the next holds).
      const h = this.head;
      const t = this.tail;
      for (let k = h; k < t; k++) {
        positions[k - h] = positions[k];
        holders[k - h] = holders[k];
        bufs[k - h] = bufs[k];
        starts[k - h] = starts[k];
        ends[k - h] = ends[k];
        holders[k] = bufs[k] = undefined;
      }
      this.head = 0;
      this.tail = t - h;
    }
  }
}
