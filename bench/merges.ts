/**
 * The embedded engine's background merge work per stored position, by positions-table merge setting: what the
 * schema's merge settings (src/store/schema.ts POSITIONS_MERGES) buy.
 *   npx tsx bench/merges.ts [--batches 40] [--rows 100000] [--interval-ms 500] [--rounds 3]
 *                           [--configs 'merge_selector_base = 5|default|merge_selector_base = 20']
 * `default` is the table as the migrations leave it (migration 5: base 10); `merge_selector_base = 5` is the
 * engine's own default. Each configuration runs in a child process of its own (the engine is one per process), in
 * turn, round after round. A child applies its settings to the real positions table (ALTER … MODIFY SETTING), then inserts
 * `--batches` RowBinary bodies of `--rows` rows (1,000 terminals, device time advancing, as the sink sends them)
 * one every `--interval-ms`, then waits until no merge runs (at most 120 s). CPU is the whole process
 * (/proc/self/stat: every engine thread), per row: while inserting ("window") and until merges settle
 * ("settled"); bodies are encoded before the clock starts. Also: active parts at the end of the window and
 * after settling, and a one-terminal track query's median time at the end. Prints one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDb } from '../src/store/connect.js';
import { encodeBytes } from '../src/store/encode.js';
import { migrate } from '../src/store/migrations.js';
import { positionRowBinary } from '../src/store/position-row-binary.js';
import type { PositionRow } from '../src/store/rows.js';
import { intFlag } from './lib/flags.js';
import { machine } from './lib/machine.js';
import { fixed, median } from './lib/stats.js';

const { values: a } = parseArgs({
  options: {
    batches: { type: 'string', default: '40' },
    rows: { type: 'string', default: '100000' },
    'interval-ms': { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    configs: { type: 'string', default: 'merge_selector_base = 5|default|merge_selector_base = 20' },
    child: { type: 'string' },
  },
});
const BATCHES = intFlag('batches', a.batches, 1, 10_000);
const ROWS = intFlag('rows', a.rows, 1000, 1_000_000);
const INTERVAL_MS = intFlag('interval-ms', a['interval-ms'], 0, 60_000);
const ROUNDS = intFlag('rounds', a.rounds, 1, 50);
const TERMINALS = 1000;
const SETTLE_MAX_MS = 120_000;

/** utime + stime of every thread of this process, ms (10 ms ticks). */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

interface ChildResult {
  windowUsPerRow: number;
  settledUsPerRow: number;
  settleS: number;
  partsAtWindowEnd: number;
  partsSettled: number;
  trackQueryMs: number;
}

async function child(config: string): Promise<ChildResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-merges-'));
  try {
    const db = await openDb({ dataDir: dir });
    await migrate(db);
    const t = db.t('positions');
    if (config !== 'default') await db.command(`ALTER TABLE ${t} MODIFY SETTING ${config}`);
    const bodies: Buffer[] = [];
    for (let b = 0; b < BATCHES; b++) bodies.push(Buffer.from((await encodeBytes(batchRows(b), positionRowBinary)).bytes));
    const activeParts = async (): Promise<number> =>
      Number((await db.query<{ n: string }>(`SELECT count() AS n FROM system.parts WHERE table = 'positions' AND active`))[0].n);
    const c0 = cpuMs();
    const started = Date.now();
    for (let b = 0; b < BATCHES; b++) {
      await db.insert('positions', positionRowBinary.columns, 'RowBinary', [bodies[b]], { insert_deduplicate: 0 });
      const wait = started + (b + 1) * INTERVAL_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const c1 = cpuMs();
    const partsAtWindowEnd = await activeParts();
    const settleFrom = Date.now();
    while (Date.now() - settleFrom < SETTLE_MAX_MS) {
      const running = Number((await db.query<{ n: string }>(`SELECT count() AS n FROM system.merges`))[0].n);
      if (running === 0) {
        await new Promise((r) => setTimeout(r, 2000));
        if (Number((await db.query<{ n: string }>(`SELECT count() AS n FROM system.merges`))[0].n) === 0) break;
      } else await new Promise((r) => setTimeout(r, 200));
    }
    const c2 = cpuMs();
    const settleS = (Date.now() - settleFrom) / 1000;
    const rows = BATCHES * ROWS;
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const q0 = performance.now();
      await db.query(`SELECT ts, lat, lon, speed FROM ${t} WHERE terminal = '${13_900_000_000 + (i % TERMINALS)}' ORDER BY ts`);
      times.push(performance.now() - q0);
    }
    const result = {
      windowUsPerRow: ((c1 - c0) * 1000) / rows,
      settledUsPerRow: ((c2 - c0) * 1000) / rows,
      settleS,
      partsAtWindowEnd,
      partsSettled: await activeParts(),
      trackQueryMs: median(times),
    };
    await db.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Batch b: each terminal's next ROWS/TERMINALS reports, one a second, as a fleet driving at full rate would send. */
function batchRows(b: number): PositionRow[] {
  const perTerminal = Math.floor(ROWS / TERMINALS);
  const rows: PositionRow[] = [];
  for (let k = 0; k < perTerminal; k++) {
    for (let v = 0; v < TERMINALS; v++) {
      const step = b * perTerminal + k;
      const ts = 1_790_000_000 + step;
      rows.push({
        terminal: String(13_900_000_000 + v), ts, recvTs: ts + 1 + (step % 3), latE6: 29_500_000 + v * 100 + step * 3,
        lonE6: 106_500_000 + v * 100 + ((step * 7) % 900), speed: (step * 13) % 1200, direction: (step * 5) % 360,
        altitude: 250 + (step % 9), alarm: 0, status: 0x000c0003, odometer: 500_000 + step * 4, fuel: 600 - (step % 50),
        satellites: 9, signal: 20, backfill: 0, extras: step % 3 === 0 ? '' : `2504${(step & 0xffff).toString(16).padStart(8, '0')}`,
      });
    }
  }
  return rows;
}

if (a.child !== undefined) {
  process.stdout.write(JSON.stringify(await child(a.child)));
  process.exit(0);
}

const configs = a.configs.split('|').map((c) => c.trim()).filter(Boolean);
const results: Record<string, ChildResult[]> = {};
const self = fileURLToPath(import.meta.url);
for (let round = 0; round < ROUNDS; round++) {
  for (const config of configs) {
    const args = ['--import', 'tsx', self, '--batches', String(BATCHES), '--rows', String(ROWS), '--interval-ms', String(INTERVAL_MS), '--child', config];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) {
      process.stderr.write(`${config}: child failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}\n`);
      process.exit(1);
    }
    const res = JSON.parse(r.stdout) as ChildResult;
    (results[config] ??= []).push(res);
    process.stderr.write(`round ${round + 1} ${config}: ${JSON.stringify(res)}\n`);
  }
}
const med = (rs: ChildResult[], k: keyof ChildResult): number => Number(fixed(median(rs.map((r) => r[k])), 2));
const summary = Object.fromEntries(
  Object.entries(results).map(([c, rs]) => [
    c,
    {
      windowUsPerRow: med(rs, 'windowUsPerRow'), settledUsPerRow: med(rs, 'settledUsPerRow'), settleS: med(rs, 'settleS'),
      partsAtWindowEnd: med(rs, 'partsAtWindowEnd'), partsSettled: med(rs, 'partsSettled'), trackQueryMs: med(rs, 'trackQueryMs'),
    },
  ]),
);
console.log(JSON.stringify({ bench: 'merges', machine: machine(), batches: BATCHES, rows: ROWS, intervalMs: INTERVAL_MS, rounds: ROUNDS, summary, results }, null, 1));
