// For ack=durable: the gateway queues each answer with its record's end position and sends the
// answers when onDurable passes them. A ring of parallel arrays, so queuing allocates nothing
// once it has grown to the load; it holds at most the records not yet durable, which the
// spool's write buffer bounds.
//
//   const acks = new DurableQueue<Session>();
//   const p = spool.append(frame, now); if (p >= 0) acks.push(p, session);
//   spool.onDurable((d) => acks.drain(d, sendAnswer));

export class DurableQueue<T> {
  private positions: Float64Array;
  private items: (T | undefined)[];
  private headIdx = 0;
  private count = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(2, 1 << Math.ceil(Math.log2(initialCapacity)));
    this.positions = new Float64Array(cap);
    this.items = new Array<T | undefined>(cap).fill(undefined);
  }

  get length(): number {
    return this.count;
  }

  /** Positions must be pushed in increasing order (append order). */
  push(position: number, item: T): void {
    if (this.count === this.positions.length) this.grow();
    const i = (this.headIdx + this.count) & (this.positions.length - 1);
    this.positions[i] = position;
    this.items[i] = item;
    this.count++;
  }

  /** Calls fn for every queued item with position <= durable, oldest first; returns how many. */
  drain(durable: number, fn: (item: T, position: number) => void): number {
    const mask = this.positions.length - 1;
    let n = 0;
    while (this.count > 0 && this.positions[this.headIdx] <= durable) {
      const item = this.items[this.headIdx] as T;
      const position = this.positions[this.headIdx];
      this.items[this.headIdx] = undefined; // let the session be collected
      this.headIdx = (this.headIdx + 1) & mask;
      this.count--;
      n++;
      fn(item, position);
    }
    return n;
  }

  private grow(): void {
    const cap = this.positions.length;
    const positions = new Float64Array(cap * 2);
    const items = new Array<T | undefined>(cap * 2).fill(undefined);
    for (let k = 0; k < this.count; k++) {
      const i = (this.headIdx + k) & (cap - 1);
      positions[k] = this.positions[i];
      items[k] = this.items[i];
    }
    this.positions = positions;
    this.items = items;
    this.headIdx = 0;
  }
}
