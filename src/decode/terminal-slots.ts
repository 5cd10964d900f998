/**
 * The terminals a decoder has met: each canonical id once (a slot), with validPosition's verdict on it, and its
 * index in the current read's columns. A digit phone (every BCD phone) is looked up by its value in a table of
 * integers, so a record costs no string and no Map lookup, and the id string is built once per terminal
 * (canonicalTerminalIdAt), not per record or per read. A fleet's records interleave (1,000 terminals: the previous
 * record's phone almost never matches), so the table, not a last-phone compare, is what pays: with an id string
 * and a Map lookup per record, those were ~28 % of this path's CPU (bench/decode-read.ts, profiled).
 */
import { canonicalTerminalIdAt } from '../../protocols/jt808/bcd.js';
import { terminalOk } from '../store/encode.js';
import type { RowStage } from '../store/position-columns.js';

const TWO_32 = 4_294_967_296;
/** Past this many slots (a fleet several times ours, or junk phones) a new read starts them afresh: memory stays bounded. */
const MAX_SLOTS = 1 << 17;
const FIRST_SIZE = 2048;

/** Table index of a phone value's two words. */
function hashOf(lo: number, hi: number, mask: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  return (h ^ (h >>> 15)) & mask;
}

export class TerminalSlots {
  /** Per slot: the canonical id. */
  readonly ids: string[] = [];
  /** Per slot: whether the id passes validPosition's terminal check. */
  readonly ok: boolean[] = [];
  /** Per slot: its index in the read's RowStage, valid when columnRead[slot] is this read. */
  private readonly column: number[] = [];
  private readonly columnRead: number[] = [];
  private readonly byId = new Map<string, number>();
  private read = 0;

  // Open addressing on a phone's value (< 2^53, as two words) → slot; an entry is live when its stamp is the
  // current generation, so starting afresh clears nothing.
  private generation = 1;
  private stamp = new Uint32Array(FIRST_SIZE);
  private keyHi = new Uint32Array(FIRST_SIZE);
  private keyLo = new Uint32Array(FIRST_SIZE);
  private slotOf = new Int32Array(FIRST_SIZE);
  private mask = FIRST_SIZE - 1;
  private used = 0;

  /** A new read: no slot has a column yet. */
  nextRead(): void {
    this.read++;
    if (this.ids.length <= MAX_SLOTS) return;
    this.ids.length = 0;
    this.ok.length = 0;
    this.column.length = 0;
    this.columnRead.length = 0;
    this.byId.clear();
    this.used = 0;
    this.generation++;
  }

  /** The slot of the phone text `data[start, end)` (a spool record's). */
  atPhone(data: Buffer, start: number, end: number): number {
    let v = 0;
    for (let i = start; i < end; i++) {
      const d = data[i] - 48;
      if (d < 0 || d > 9) return this.of(canonicalTerminalIdAt(data, start, end));
      v = v * 10 + d;
    }
    // canonicalTerminalIdAt's own rule: past 2^53 (or empty) the id is not String(v).
    if (start === end || v > Number.MAX_SAFE_INTEGER) return this.of(canonicalTerminalIdAt(data, start, end));
    const lo = v >>> 0;
    const hi = (v - lo) / TWO_32;
    let h = hashOf(lo, hi, this.mask);
    while (this.stamp[h] === this.generation) {
      if (this.keyLo[h] === lo && this.keyHi[h] === hi) return this.slotOf[h];
      h = (h + 1) & this.mask;
    }
    const slot = this.of(canonicalTerminalIdAt(data, start, end));
    this.stamp[h] = this.generation;
    this.keyLo[h] = lo;
    this.keyHi[h] = hi;
    this.slotOf[h] = slot;
    if (++this.used * 2 > this.mask) this.grow();
    return slot;
  }

  /** The slot of a canonical id. */
  of(id: string): number {
    let slot = this.byId.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.byId.set(id, slot);
      this.ids.push(id);
      this.ok.push(terminalOk(id));
      this.column.push(-1);
      this.columnRead.push(0);
    }
    return slot;
  }

  /** The slot's terminal index in `stage`, added there on its first valid row of the read. */
  columnOf(slot: number, stage: RowStage): number {
    if (this.columnRead[slot] !== this.read) {
      this.columnRead[slot] = this.read;
      this.column[slot] = stage.addTerminal(this.ids[slot]);
    }
    return this.column[slot];
  }

  /** Doubles the table (kept at most half full), re-inserting the live entries. */
  private grow(): void {
    const { stamp, keyHi, keyLo, slotOf, generation } = this;
    const size = stamp.length * 2;
    this.stamp = new Uint32Array(size);
    this.keyHi = new Uint32Array(size);
    this.keyLo = new Uint32Array(size);
    this.slotOf = new Int32Array(size);
    this.mask = size - 1;
    for (let e = 0; e < stamp.length; e++) {
      if (stamp[e] !== generation) continue;
      let h = hashOf(keyLo[e], keyHi[e], this.mask);
      while (this.stamp[h] === generation) h = (h + 1) & this.mask;
      this.stamp[h] = generation;
      this.keyLo[h] = keyLo[e];
      this.keyHi[h] = keyHi[e];
      this.slotOf[h] = slotOf[e];
    }
  }
}
