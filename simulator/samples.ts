/**
 * Per-terminal log of generated positions (columns in typed arrays, ~45 bytes a position). It is the
 * blind-area memory a terminal resends from, and — with `--truth` — the ground truth itself: what was
 * generated, sent, and answered. Without `--truth` the answered prefix is dropped as it settles, so a
 * long run holds only what is still unanswered.
 */
import type { Sample } from './vehicle.js';
import type { LocationFields } from './wire.js';

/** Generated, not sent yet (live queue or blind-area buffer). */
export const ST_QUEUED = 0;
/** Sent at least once, no success answer yet. */
export const ST_SENT = 1;
/** Answered with result 0: the gateway promised to keep it. */
export const ST_ANSWERED = 2;
/** Answered with a failure result (not stored by the gateway's contract). */
export const ST_REJECTED = 3;
/** Dropped from a full blind-area buffer, never sent. */
export const ST_DROPPED = 4;

export const FLAG_BACKFILL = 1;
export const FLAG_RESENT = 2;

/** A row read back for re-encoding. */
export interface LogRow extends LocationFields {
  timeMs: number;
}

export class SampleLog {
  /** Seq of index 0. */
  base = 0;
  length = 0;
  private head = 0;
  time: Float64Array;
  distanceM: Float64Array;
  latE6: Int32Array;
  lonE6: Int32Array;
  odometerRaw: Uint32Array;
  speedRaw: Uint16Array;
  direction: Uint16Array;
  altitudeM: Uint16Array;
  fuelRaw: Uint16Array;
  acc: Uint8Array;
  satellites: Uint8Array;
  rssi: Uint8Array;
  state: Uint8Array;
  flags: Uint8Array;

  constructor(
    readonly keepAll: boolean,
    capacity = 32,
  ) {
    this.time = new Float64Array(capacity);
    this.distanceM = new Float64Array(capacity);
    this.latE6 = new Int32Array(capacity);
    this.lonE6 = new Int32Array(capacity);
    this.odometerRaw = new Uint32Array(capacity);
    this.speedRaw = new Uint16Array(capacity);
    this.direction = new Uint16Array(capacity);
    this.altitudeM = new Uint16Array(capacity);
    this.fuelRaw = new Uint16Array(capacity);
    this.acc = new Uint8Array(capacity);
    this.satellites = new Uint8Array(capacity);
    this.rssi = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  /** Seq the next push will get. */
  get nextSeq(): number {
    return this.base + this.length;
  }

  /** Appends a sample with its device time (the terminal clock); returns its seq. */
  push(s: Sample, deviceTimeMs: number): number {
    if (this.length === this.time.length) this.makeRoom();
    const i = this.length++;
    this.time[i] = deviceTimeMs;
    this.distanceM[i] = s.distanceM;
    this.latE6[i] = s.latE6;
    this.lonE6[i] = s.lonE6;
    this.odometerRaw[i] = s.odometerRaw;
    this.speedRaw[i] = s.speedRaw;
    this.direction[i] = s.direction;
    this.altitudeM[i] = s.altitudeM;
    this.fuelRaw[i] = s.fuelRaw;
    this.acc[i] = s.acc;
    this.satellites[i] = s.satellites;
    this.rssi[i] = s.rssi;
    this.state[i] = ST_QUEUED;
    this.flags[i] = 0;
    return this.base + i;
  }

  getState(seq: number): number {
    return this.state[seq - this.base];
  }

  setState(seq: number, st: number): void {
    this.state[seq - this.base] = st;
  }

  addFlag(seq: number, f: number): void {
    this.flags[seq - this.base] |= f;
  }

  /** Copies a row into `out` for re-encoding. */
  read(seq: number, out: LogRow): void {
    const i = seq - this.base;
    out.timeMs = this.time[i];
    out.latE6 = this.latE6[i];
    out.lonE6 = this.lonE6[i];
    out.odometerRaw = this.odometerRaw[i];
    out.speedRaw = this.speedRaw[i];
    out.direction = this.direction[i];
    out.altitudeM = this.altitudeM[i];
    out.fuelRaw = this.fuelRaw[i];
    out.acc = this.acc[i];
    out.satellites = this.satellites[i];
    out.rssi = this.rssi[i];
  }

  /** Grows, or (without keepAll) first drops the settled prefix: answered, rejected or dropped rows. */
  private makeRoom(): void {
    if (!this.keepAll) {
      while (this.head < this.length && this.state[this.head] >= ST_ANSWERED) this.head++;
      if (this.head >= this.length / 2) {
        const h = this.head;
        for (const col of this.columns()) col.copyWithin(0, h, this.length);
        this.base += h;
        this.length -= h;
        this.head = 0;
        return;
      }
    }
    const cap = this.time.length * 2;
    this.time = grow(this.time, cap);
    this.distanceM = grow(this.distanceM, cap);
    this.latE6 = grow(this.latE6, cap);
    this.lonE6 = grow(this.lonE6, cap);
    this.odometerRaw = grow(this.odometerRaw, cap);
    this.speedRaw = grow(this.speedRaw, cap);
    this.direction = grow(this.direction, cap);
    this.altitudeM = grow(this.altitudeM, cap);
    this.fuelRaw = grow(this.fuelRaw, cap);
    this.acc = grow(this.acc, cap);
    this.satellites = grow(this.satellites, cap);
    this.rssi = grow(this.rssi, cap);
    this.state = grow(this.state, cap);
    this.flags = grow(this.flags, cap);
  }

  private columns(): Array<Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array> {
    return [this.time, this.distanceM, this.latE6, this.lonE6, this.odometerRaw, this.speedRaw, this.direction, this.altitudeM, this.fuelRaw, this.acc, this.satellites, this.rssi, this.state, this.flags];
  }
}

function grow<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** A FIFO of sample seqs (the blind-area buffer), growable ring. */
export class SeqQueue {
  private buf = new Int32Array(16);
  private start = 0;
  size = 0;

  push(seq: number): void {
    if (this.size === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) b[i] = this.buf[(this.start + i) & (this.buf.length - 1)];
      this.buf = b;
      this.start = 0;
    }
    this.buf[(this.start + this.size++) & (this.buf.length - 1)] = seq;
  }

  shift(): number {
    const v = this.buf[this.start];
    this.start = (this.start + 1) & (this.buf.length - 1);
    this.size--;
    return v;
  }
}
