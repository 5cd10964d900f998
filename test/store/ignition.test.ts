/**
 * Ignition events are derived from stored positions, so a blind-area backfill that lands inside a range
 * already seen adds its ACC transitions, and resends add none.
 */
import t from 'tap';
import { Sink, type SpoolSource } from '../../src/store/sink.js';
import { ignitionEvents } from '../../src/store/queries/ignition.js';
import { rowDecode } from '../../src/store/encode-positions.js';
import type { PositionRow } from '../../src/store/rows.js';
import { chdbDatabase, closeChdb } from './helpers/chdb.js';

t.teardown(closeChdb);

const T0 = Date.UTC(2026, 10, 20, 1, 0, 0) / 1000;

function row(offsetS: number, acc: boolean, backfill: 0 | 1 = 0): PositionRow {
  return {
    terminal: '13800000001', ts: T0 + offsetS, recvTs: T0 + offsetS + (backfill ? 7200 : 1), latE6: 29_560_000 + offsetS, lonE6: 106_550_000,
    speed: acc ? 300 : 0, direction: 90, altitude: 300, alarm: 0, status: (acc ? 1 : 0) | 2, odometer: 1000 + offsetS, fuel: 400,
    satellites: 9, signal: 20, backfill, extras: '',
  };
}

/** Feeds one batch of rows per read through the real Sink (identity decode), then stops. */
async function ingest(db: Awaited<ReturnType<typeof chdbDatabase>>, batches: PositionRow[][]): Promise<void> {
  let cursor = 0;
  const source: SpoolSource<PositionRow[], number> = {
    read: async () => (cursor < batches.length ? { records: [batches[cursor]], next: ++cursor } : { records: [], next: cursor }),
    commit: async () => {},
  };
  const sink = new Sink({ db, source, name: 'ign', decode: rowDecode(async (r: PositionRow[][]) => ({ positions: r.flat(), ignition: [] })), maxDelayMs: 10, idleMs: 5 });
  const loop = sink.start();
  const t0 = Date.now();
  while (sink.stats().records < batches.length && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 10));
  await sink.stop();
  await loop;
}

t.test('transitions from positions, including a later backfill', async (t) => {
  const db = await chdbDatabase('ignition_test');
  // Live: off at 0, on at 600 … 1200, then a gap (terminal offline) and off again at 4200.
  const live = [row(0, false), row(600, true), row(630, true), row(1200, true), row(4200, false)];
  await ingest(db, [live, [row(600, true)]]); // the second batch is a resend
  const before = await ignitionEvents(db, '13800000001', T0 - 60, T0 + 5000);
  t.same(before.map((e) => [e.ts - T0, e.on]), [[600, 1], [4200, 0]], 'on at 600, off at 4200; the resend adds nothing');

  // The blind-area upload shows the vehicle was switched off at 2000 and on again at 3000.
  await ingest(db, [[row(2000, false, 1), row(2500, false, 1), row(3000, true, 1)]]);
  const after = await ignitionEvents(db, '13800000001', T0 - 60, T0 + 5000);
  t.same(after.map((e) => [e.ts - T0, e.on]), [[600, 1], [2000, 0], [3000, 1], [4200, 0]], 'backfilled transitions appear');

  const window = await ignitionEvents(db, '13800000001', T0 + 2200, T0 + 5000);
  t.same(window.map((e) => [e.ts - T0, e.on]), [[3000, 1], [4200, 0]], 'state before the range comes from the last earlier position');
});
