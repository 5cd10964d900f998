// One of the spool's two preallocated write buffers: appends fill one while the other is being
// written and fdatasync'ed. Memory is fixed at open; nothing here grows with load.

export class WriteBuffer {
  readonly buf: Buffer;
  /** Bytes of framed records in buf. */
  len = 0;
  /** Global position of buf[0]. */
  base = 0;
  /** Global positions inside this buffer where a new segment file starts (ascending, rarely non-empty). */
  readonly rolls: number[] = [];

  constructor(capacity: number) {
    // allocUnsafeSlow: a dedicated, unpooled block; its old contents are always overwritten before use.
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  get end(): number {
    return this.base + this.len;
  }

  reset(base: number): void {
    this.len = 0;
    this.base = base;
    this.rolls.length = 0;
  }
}
