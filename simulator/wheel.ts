/**
 * One hashed timing wheel for every terminal (instead of a setInterval per terminal: 29,000 timers
 * would cost more than the messages they send). Each id is in the wheel at most once, in a doubly
 * linked list kept in typed arrays, so schedule/cancel are O(1) and allocation-free. Entries further
 * away than one lap stay in their slot and are skipped until their lap comes round.
 */
export class TimerWheel {
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly slotOf: Int32Array;
  private readonly dueAt: Float64Array;
  private readonly mask: number;
  /** Tick processed last; its slot is scanned again on the next advance (entries due later in that tick). */
  private cursor: number;
  private readonly batch: number[] = [];

  constructor(
    capacity: number,
    readonly tickMs: number,
    nowMs: number,
    slots = 1024,
  ) {
    if ((slots & (slots - 1)) !== 0) throw new RangeError('slots must be a power of two');
    this.head = new Int32Array(slots).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.prev = new Int32Array(capacity).fill(-1);
    this.slotOf = new Int32Array(capacity).fill(-1);
    this.dueAt = new Float64Array(capacity).fill(Infinity);
    this.mask = slots - 1;
    this.cursor = Math.floor(nowMs / tickMs);
  }

  /** When `id` is due (Infinity when not scheduled). */
  due(id: number): number {
    return this.dueAt[id];
  }

  /** (Re)schedules `id` at `atMs`; Infinity cancels. A time in the past fires on the next advance. */
  schedule(id: number, atMs: number): void {
    if (this.slotOf[id] >= 0) this.unlink(id);
    if (atMs === Infinity) return;
    this.dueAt[id] = atMs;
    const tick = Math.max(this.cursor, Math.floor(atMs / this.tickMs));
    const slot = tick & this.mask;
    const h = this.head[slot];
    this.next[id] = h;
    this.prev[id] = -1;
    if (h >= 0) this.prev[h] = id;
    this.head[slot] = id;
    this.slotOf[id] = slot;
  }

  /** Schedules `id` at `atMs` unless it is already due earlier. */
  scheduleEarlier(id: number, atMs: number): void {
    if (atMs < this.dueAt[id]) this.schedule(id, atMs);
  }

  cancel(id: number): void {
    if (this.slotOf[id] >= 0) this.unlink(id);
  }

  private unlink(id: number): void {
    const slot = this.slotOf[id];
    const n = this.next[id];
    const p = this.prev[id];
    if (p >= 0) this.next[p] = n;
    else this.head[slot] = n;
    if (n >= 0) this.prev[n] = p;
    this.slotOf[id] = -1;
    this.dueAt[id] = Infinity;
  }

  /**
   * Calls `fire(id)` for every id due at or before `nowMs`, in tick order. Ids are unlinked before the
   * call, so `fire` may schedule them again (even into a slot being processed: they wait a tick).
   */
  advance(nowMs: number, fire: (id: number) => void): void {
    const last = Math.floor(nowMs / this.tickMs);
    const laps = last - this.cursor >= this.mask ? this.mask + 1 : 0;
    const from = laps ? last - this.mask : this.cursor;
    for (let tick = from; tick <= last; tick++) {
      const slot = tick & this.mask;
      const batch = this.batch;
      for (let id = this.head[slot]; id >= 0; id = this.next[id]) if (this.dueAt[id] <= nowMs) batch.push(id);
      for (let i = 0; i < batch.length; i++) this.unlink(batch[i]);
      this.cursor = tick;
      for (let i = 0; i < batch.length; i++) fire(batch[i]);
      batch.length = 0;
    }
  }
}
