/**
 * A fleet-day is hundreds of thousands of pieces (bench/store.ts: 30,000 vehicles × 1 day). Spreading them
 * into a call (`push(...pieces)`, `Math.max(...)`) overran the engine's argument limit: the rollup of such a
 * day threw `RangeError: Maximum call stack size exceeded`. No database here: the pass returns fixed rows.
 */
import t from 'tap';
import type { Db } from '../../src/store/db.js';
import { Rollup } from '../../src/store/rollup/job.js';
import { Zone } from '../../src/store/timezone.js';

const day = '2026-03-10';
const start = new Zone('Asia/Shanghai').bounds(day).start;

/** `n` pieces of ACC-off parked time, `perTerminal` to a terminal, 300 s apart. */
function pieceRows(n: number, perTerminal: number): Record<string, string | number>[] {
  return Array.from({ length: n }, (_, i) => {
    const ts = start + (i % perTerminal) * 300;
    return {
      terminal: `t${Math.floor(i / perTerminal)}`, piece: (i % perTerminal) + 1, acc: 0, start_reason: i % perTerminal ? 2 : 1, day,
      start_ts: ts, last_ts: ts, next_ts: ts + 300, points: 1, backfill_points: 0, invalid_points: 0, max_speed: i % 7, segments: 1,
      gps_m: 0, gap_m: 0, gps_segments: 0, gps_jumps: 0, odo_dm: 0, gap_odo_dm: 0, odo_segments: 1, odo_resets: 0, odo_jumps: 0,
      fuel_used_dl: 0, refuels: 0, refuel_dl: 0, drive_s: 0, idle_s: 0, off_s: 300, carry_drive_s: 0, carry_idle_s: 0, carry_off_s: 0,
      start_lat: 29_500_000, start_lon: 106_500_000, end_lat: 29_500_000, end_lon: 106_500_000, next_lat: 29_500_000, next_lon: 106_500_000,
    };
  });
}

function fakeDb(rows: unknown[]): Db {
  return { info: { version: 'fake', features: { windowFunctions: true } }, cluster: undefined, t: (x: string) => x, query: async () => rows } as unknown as Db;
}

t.test('a fleet-day of 300,000 pieces', async (t) => {
  const out = await new Rollup(fakeDb(pieceRows(300_000, 10))).computeDay(day);
  t.equal(out.length, 30_000, 'one result per terminal');
  t.equal(out[0].figures.offS, 3000);
  t.equal(out[0].figures.maxSpeed, 6);
});

t.test('one terminal-day of 200,000 pieces (a flickering, fast-reporting terminal)', async (t) => {
  const [r] = await new Rollup(fakeDb(pieceRows(200_000, 200_000))).computeDay(day);
  t.equal(r.figures.firstTs, start);
  t.equal(r.figures.lastTs, start + 199_999 * 300);
  t.equal(r.figures.maxSpeed, 6);
});
