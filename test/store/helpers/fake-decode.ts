/**
 * Deterministic decode for the fake spool: record n → one position of terminal (n mod T) at step ⌊n / T⌋,
 * 30 s apart; ACC flips every 20 steps and each flip is also an ignition event.
 */
import type { DecodeFn } from '../../../src/store/sink.js';
import { rowDecode } from '../../../src/store/encode-positions.js';
import type { IgnitionEventRow, PositionRow } from '../../../src/store/rows.js';
import type { FakeRecord } from './fake-source.js';

export interface FakeFleet {
  terminals: number;
  /** ts of step 0. */
  base: number;
  /** recvTs = ts + this. */
  recvDelay?: number;
}

export function fakePosition(seq: number, f: FakeFleet): PositionRow {
  const k = Math.floor(seq / f.terminals);
  const acc = Math.floor(k / 20) % 2;
  const ts = f.base + k * 30;
  return {
    terminal: String(13_900_000_000 + (seq % f.terminals)),
    ts,
    recvTs: ts + (f.recvDelay ?? 1),
    latE6: 29_500_000 + k * 37,
    lonE6: 106_500_000 - k * 11,
    speed: acc ? 400 + (k % 7) * 10 : 0,
    direction: (k * 3) % 360,
    altitude: 250 + (k % 5),
    alarm: k % 97 === 0 ? 1 << 13 : 0,
    status: 0x000c0002 | acc,
    odometer: 500_000 + k * 2,
    fuel: 600 - (k % 50),
    satellites: 8 + (k % 5),
    signal: 20 + (k % 9),
    backfill: 0,
    extras: k % 3 === 0 ? '' : `2504${(k & 0xff).toString(16).padStart(8, '0')}`,
  };
}

export function fakeIgnition(seq: number, f: FakeFleet): IgnitionEventRow | undefined {
  const k = Math.floor(seq / f.terminals);
  if (k === 0 || k % 20 !== 0) return undefined;
  const p = fakePosition(seq, f);
  return { terminal: p.terminal, ts: p.ts, on: (p.status & 1) as 0 | 1, latE6: p.latE6, lonE6: p.lonE6 };
}

export function fakeDecode(f: FakeFleet): DecodeFn<FakeRecord> {
  return rowDecode(async (records: FakeRecord[]) => {
    const positions: PositionRow[] = [];
    const ignition: IgnitionEventRow[] = [];
    for (const r of records) {
      positions.push(fakePosition(r.seq, f));
      const e = fakeIgnition(r.seq, f);
      if (e) ignition.push(e);
    }
    return { positions, ignition };
  });
}
