/**
 * Durable acknowledgement ordering: a reply may be written only once the spool's fsynced position
 * covers the record it answers (DESIGN.md, spool). Sessions with held replies wait here in position
 * order; each group commit releases the ones it covers.
 */
export interface HeldReplies {
  /** Writes every held reply whose position is ≤ durable. */
  releaseUpTo(durable: number): void;
}

export class AckGate {
  private positions: number[] = [];
  private holders: HeldReplies[] = [];
  private head = 0;

  private highest = 0;

  /**
   * Registers that `holder` has a reply waiting for `position`. The queue stays sorted: a position
   * older than the newest one queued (an answer that waited for something else, e.g. a registry
   * write) is queued at the newest, which only delays it until that later commit.
   */
  hold(position: number, holder: HeldReplies): void {
    if (position > this.highest) this.highest = position;
    this.positions.push(this.highest);
    this.holders.push(holder);
  }

  get waiting(): number {
    return this.positions.length - this.head;
  }

  /** Called after each group commit. */
  release(durable: number): void {
    const released = new Set<HeldReplies>();
    while (this.head < this.positions.length && this.positions[this.head] <= durable) {
      released.add(this.holders[this.head]);
      this.holders[this.head] = undefined as unknown as HeldReplies; // let closed sessions be collected
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.positions.length) {
      this.positions = this.positions.slice(this.head);
      this.holders = this.holders.slice(this.head);
      this.head = 0;
    }
    for (const h of released) h.releaseUpTo(durable);
  }
}
