/**
 * Messages in flight for one terminal, keyed by serial in a fixed ring (typed arrays: no object per
 * message). Answers carry the serial they answer (SPEC §7.1), so a lookup is one index and one
 * compare. The ring is 4 × the window (at least 32): a slot is reused only after that many newer
 * serials, by which time its message has long been answered or given up.
 */

/** A message whose answer settles several positions (0x0704) or needs one answer per fragment. */
export interface Group {
  msgId: number;
  /** Sample seqs the message carries. */
  seqs: number[];
  /** Answers still expected (one per fragment). */
  left: number;
  failed: boolean;
  /** Given up (connection lost, timeout): its positions went back to the blind-area buffer. */
  lost: boolean;
  firstSerial: number;
  /** Wire frames of the fragments, for a 0x8003 resend request; null when not subpackaged. */
  frames: Buffer[] | null;
}

export class InFlight {
  readonly mask: number;
  readonly serial: Int32Array;
  readonly msgId: Uint16Array;
  /** Clock ms when written (or retransmitted). */
  readonly sentAt: Float64Array;
  /** The one position a plain 0x0200 carries, or -1. */
  readonly seq: Int32Array;
  /** Answers expected: 2 for a frame sent twice (duplicates fault). */
  readonly expect: Uint8Array;
  /** 1 once the first answer was handled. */
  readonly done: Uint8Array;
  /** 1 for a fragment held back (fragment-loss fault): not on the wire until asked for. */
  readonly held: Uint8Array;
  readonly group: (Group | null)[];
  count = 0;

  constructor(window: number) {
    let size = 32;
    while (size < window * 4) size *= 2;
    this.mask = size - 1;
    this.serial = new Int32Array(size).fill(-1);
    this.msgId = new Uint16Array(size);
    this.sentAt = new Float64Array(size);
    this.seq = new Int32Array(size);
    this.expect = new Uint8Array(size);
    this.done = new Uint8Array(size);
    this.held = new Uint8Array(size);
    this.group = new Array<Group | null>(size).fill(null);
  }

  /** Slot of the message (serial, msgId), or -1. */
  find(serial: number, msgId: number): number {
    const i = serial & this.mask;
    return this.serial[i] === serial && this.msgId[i] === msgId ? i : -1;
  }

  /** Slot a serial maps to; `used` tells whether an older message still holds it. */
  slotOf(serial: number): number {
    return serial & this.mask;
  }

  used(i: number): boolean {
    return this.serial[i] >= 0;
  }

  /** Takes the (free) slot of `serial`. */
  occupy(serial: number, msgId: number, now: number, seq: number, group: Group | null): number {
    const i = serial & this.mask;
    this.serial[i] = serial;
    this.msgId[i] = msgId;
    this.sentAt[i] = now;
    this.seq[i] = seq;
    this.expect[i] = 1;
    this.done[i] = 0;
    this.held[i] = 0;
    this.group[i] = group;
    this.count++;
    return i;
  }

  release(i: number): void {
    this.serial[i] = -1;
    this.group[i] = null;
    this.count--;
  }
}
