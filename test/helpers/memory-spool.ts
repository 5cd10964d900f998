/**
 * An in-memory SpoolWriter for gateway tests: records are kept, and durability advances only when the
 * test says so (or automatically after each append with `autoCommitMs`).
 */
import { EventEmitter } from 'node:events';

export class MemorySpool extends EventEmitter {
  readonly records: Array<{ position: number; stampMs: number; data: Buffer }> = [];
  durablePosition = 0;
  headPosition = 0;
  refuse = false;
  private listeners_: Array<(d: number) => void> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly autoCommitMs: number | null = 1) {
    super();
  }

  append(data: Uint8Array, stampMs: number): number {
    if (this.refuse) return -1;
    this.headPosition += data.length + 16;
    this.records.push({ position: this.headPosition, stampMs, data: Buffer.from(data) });
    if (this.autoCommitMs !== null && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.commit();
      }, this.autoCommitMs);
    }
    return this.headPosition;
  }

  onDurable(fn: (d: number) => void): void {
    this.listeners_.push(fn);
  }

  /** Makes everything appended so far durable and notifies the gateway. */
  commit(): void {
    this.durablePosition = this.headPosition;
    for (const fn of this.listeners_) fn(this.durablePosition);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
