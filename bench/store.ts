/**
 * Sink throughput into the embedded engine, and bytes per stored position.
 *   npx tsx bench/store.ts [--vehicles 3000] [--parked 300] [--drift 0] [--rounds 3] [--max-rows 20000]
 * Rows are generated first (bench/store-synth.ts) and fed through the real Sink from an in-memory spool with
 * an identity decode, so the figure is the sink's own cost: encode, hash, insert, commit. One CSV row per
 * round and metric on stdout (date, sha, node, cpu, cores, config, metric, unit, value); a summary on stderr.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openDb } from '../src/store/connect.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import type { PositionRow } from '../src/store/rows.js';
import { rowDecode } from '../src/store/encode-positions.js';
import { Sink, type SpoolSource } from '../src/store/sink.js';
import { Zone } from '../src/store/timezone.js';
import { synthFleetDay } from './store-synth.js';

const { values: a } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '3000' },
    parked: { type: 'string', default: '300' },
    drift: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '3' },
    'max-rows': { type: 'string', default: '50000' },
  },
});
const vehicles = Number(a.vehicles);
const parked = Number(a.parked);
const drift = Number(a.drift);
const maxRows = Number(a['max-rows']);
const config = `vehicles=${vehicles};parked=${parked}s;drift=${drift};batch=${maxRows}`;

function sha(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'uncommitted';
  }
}
const head = [new Date().toISOString(), sha(), process.version, os.cpus()[0]?.model.replace(/,/g, ' ') ?? '?', os.cpus().length, config];
const csv = (metric: string, unit: string, value: number): void => console.log([...head, metric, unit, value].join(','));

/**
 * The spool stand-in. Rows are kept packed in typed arrays and become objects only when read, as decoded
 * rows arrive from the workers in production: a heap of a million live row objects would make the bench
 * measure the garbage collector instead of the sink.
 */
class PackedSpool implements SpoolSource<PositionRow, number> {
  committed = 0;
  private cursor = 0;
  private readonly order: Uint32Array;
  private readonly u32: Uint32Array[];
  private readonly i32: Int32Array[];
  private readonly terminal: Uint32Array;
  private readonly extras: Uint32Array;
  private readonly names: string[] = [];
  private readonly extraStrings: string[] = [];

  constructor(rows: readonly PositionRow[]) {
    const n = rows.length;
    const col = (): Uint32Array => new Uint32Array(n);
    // u32: ts recvTs speed direction alarm status odometer fuel satellites signal backfill; i32: lat lon altitude
    this.u32 = Array.from({ length: 11 }, col);
    this.i32 = Array.from({ length: 3 }, () => new Int32Array(n));
    this.terminal = col();
    this.extras = col();
    const names = new Map<string, number>();
    const extras = new Map<string, number>();
    const intern = (m: Map<string, number>, list: string[], v: string): number => {
      let i = m.get(v);
      if (i === undefined) m.set(v, (i = list.push(v) - 1));
      return i;
    };
    rows.forEach((r, i) => {
      [r.ts, r.recvTs, r.speed, r.direction, r.alarm, r.status, r.odometer, r.fuel, r.satellites, r.signal, r.backfill].forEach((v, c) => (this.u32[c][i] = v));
      [r.latE6, r.lonE6, r.altitude].forEach((v, c) => (this.i32[c][i] = v));
      this.terminal[i] = intern(names, this.names, r.terminal);
      this.extras[i] = intern(extras, this.extraStrings, r.extras);
    });
    // Arrival order: by receive time, as the spool would hold them.
    const recv = this.u32[1];
    const ts = this.u32[0];
    this.order = Uint32Array.from(Array.from({ length: n }, (_, i) => i).sort((x, y) => recv[x] - recv[y] || ts[x] - ts[y]));
  }

  /** Back to the first record (each round replays the same spool into a fresh database). */
  rewind(): void {
    this.cursor = 0;
    this.committed = 0;
  }

  get total(): number {
    return this.order.length;
  }

  private row(i: number): PositionRow {
    const u = this.u32;
    const s = this.i32;
    return {
      terminal: this.names[this.terminal[i]], ts: u[0][i], recvTs: u[1][i], latE6: s[0][i], lonE6: s[1][i], speed: u[2][i],
      direction: u[3][i], altitude: s[2][i], alarm: u[4][i], status: u[5][i], odometer: u[6][i], fuel: u[7][i],
      satellites: u[8][i], signal: u[9][i], backfill: u[10][i] as 0 | 1, extras: this.extraStrings[this.extras[i]],
    };
  }

  async read(maxBytes: number): Promise<{ records: PositionRow[]; next: number }> {
    const end = Math.min(this.order.length, this.cursor + Math.max(1, Math.floor(maxBytes / 60)));
    const records: PositionRow[] = [];
    for (let k = this.cursor; k < end; k++) records.push(this.row(this.order[k]));
    this.cursor = end;
    return { records, next: end };
  }

  async commit(p: number): Promise<void> {
    this.committed = p;
  }
}

async function bytesPerRow(db: Db): Promise<{ total: number; rows: number; columns: [string, number][] }> {
  await db.command(`OPTIMIZE TABLE ${db.local('positions')} FINAL`);
  const [p] = await db.query<{ rows: number; bytes: number }>(
    `SELECT toUInt64(sum(rows)) AS rows, toUInt64(sum(bytes_on_disk)) AS bytes FROM system.parts
     WHERE database = {db:String} AND table = 'positions' AND active`,
    { db: db.database },
  );
  const cols = await db.query<{ name: string; bytes: number }>(
    `SELECT name, toUInt64(sum(data_compressed_bytes)) AS bytes FROM system.columns
     WHERE database = {db:String} AND table = 'positions' GROUP BY name ORDER BY bytes DESC`,
    { db: db.database },
  );
  const rows = Number(p.rows);
  return { total: Number(p.bytes) / rows, rows, columns: cols.filter((c) => Number(c.bytes) > 0).map((c) => [c.name, Number(c.bytes) / rows]) };
}

const zone = new Zone('Asia/Shanghai');
const today = zone.day(Math.floor(Date.now() / 1000));
const dayStart = zone.bounds(today).start; // today: no late-day marks, as in live ingest
const t0 = performance.now();
const spoolRows = ((): PackedSpool => {
  const rows: PositionRow[] = [];
  for (const v of synthFleetDay({ terminals: vehicles, dayStart, parkedIntervalS: parked, driftShare: drift })) for (const r of v) rows.push(r);
  return new PackedSpool(rows);
})();
const total = spoolRows.total;
console.error(`generated ${total} rows for ${vehicles} vehicles in ${((performance.now() - t0) / 1000).toFixed(1)} s (${config})`);

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fg-bench-store-'));
try {
  for (let round = 1; round <= Number(a.rounds); round++) {
    const db = await openDb({ dataDir, database: `bench_${round}` });
    await migrate(db);
    const spool = spoolRows;
    spool.rewind();
    const sink = new Sink({ db, source: spool, decode: rowDecode(async (positions: PositionRow[]) => ({ positions, ignition: [] })), name: 'bench', maxRows, readBytes: 1 << 20, replayGraceMs: 0, idleMs: 1 });
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const loop = sink.start();
    while (spool.committed < total) await new Promise((r) => setTimeout(r, 2));
    const secs = (performance.now() - start) / 1000;
    await sink.stop();
    await loop;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    loopDelay.disable();
    const rps = total / secs;
    const mainUs = (elu.active * 1000) / total;
    const procUs = (cpu.user + cpu.system) / total;
    const maxDelay = loopDelay.max / 1e6;
    const p99Delay = loopDelay.percentile(99) / 1e6;
    csv('sink_rows_per_s', 'rows/s', Math.round(rps));
    csv('main_thread_us_per_row', 'us', +mainUs.toFixed(2));
    csv('process_cpu_us_per_row', 'us', +procUs.toFixed(2));
    csv('max_event_loop_delay', 'ms', +maxDelay.toFixed(1));
    csv('p99_event_loop_delay', 'ms', +p99Delay.toFixed(1));
    console.error(
      `round ${round}: ${Math.round(rps).toLocaleString()} rows/s, main thread ${mainUs.toFixed(2)} µs/row, ` +
        `process CPU ${procUs.toFixed(2)} µs/row, loop delay p99 ${p99Delay.toFixed(1)} ms / max ${maxDelay.toFixed(1)} ms, ${sink.stats().batches} batches`,
    );
    if (round === 1) {
      const b = await bytesPerRow(db);
      csv('bytes_per_stored_position', 'B', +b.total.toFixed(3));
      console.error(`stored ${b.rows} positions after merge (resends collapsed): ${b.total.toFixed(3)} B/row on disk`);
      console.error(`  per column (compressed): ${b.columns.map(([n, v]) => `${n} ${v.toFixed(3)}`).join(', ')}`);
    }
    await db.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
