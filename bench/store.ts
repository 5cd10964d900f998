/**
 * Sink throughput into the embedded engine, bytes per stored position, and the daily rollup of a fleet-day.
 *   npx tsx bench/store.ts [--vehicles 3000] [--positions N] [--rollup [--buckets 1]] [--parked 300] [--drift 0]
 *                          [--rounds 3] [--max-rows 50000] [--write]
 * The fleet's day (bench/store-synth.ts) is a closed local day (two days ago). `--positions N` takes exactly its
 * first N rows, vehicle after vehicle (the fleet grows past --vehicles if N needs it); they are fed through the
 * real Sink from an in-memory spool with an identity decode, so the figure is the sink's own cost: encode, hash,
 * insert, commit. The sink's clock is shifted so that day is "today" to it (no late-day marks, as in live ingest).
 * Round 1 also measures bytes/row (system.parts after OPTIMIZE FINAL) and, with --rollup, tops the day up to
 * every vehicle of the fleet, merges, runs the real rollup job (Rollup.tick) on the day and checks vehicle_daily
 * against the synthetic truth. One CSV row per round and metric on stdout, then a JSON summary; prose on stderr.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openDb } from '../src/store/connect.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import { Rollup } from '../src/store/rollup/job.js';
import { DEFAULT_RULES, lookbackS } from '../src/store/rollup/rules.js';
import type { PositionRow } from '../src/store/rows.js';
import { rowDecode } from '../src/store/encode-positions.js';
import { Sink, type SpoolSource } from '../src/store/sink.js';
import { addDays, DEFAULT_TIMEZONE, Zone } from '../src/store/timezone.js';
import { intFlag, numFlag } from './lib/flags.js';
import { load, machine, machineLine } from './lib/machine.js';
import { table, writeSection } from './lib/record.js';
import { fixed, int, median } from './lib/stats.js';
import { synthVehicleDay, type SynthTruth } from './store-synth.js';

const { values: a } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '3000' },
    positions: { type: 'string', default: '0' },
    rollup: { type: 'boolean', default: false },
    buckets: { type: 'string', default: '1' },
    parked: { type: 'string', default: '300' },
    drift: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '3' },
    'max-rows': { type: 'string', default: '50000' },
    write: { type: 'boolean', default: false },
  },
});
const vehicles = intFlag('vehicles', a.vehicles, 1, 1_000_000);
const positions = intFlag('positions', a.positions, 0); // 0: the whole fleet-day
const parked = intFlag('parked', a.parked, 1, 86_400);
const drift = numFlag('drift', a.drift, 0, 1); // share of parked vehicles whose GPS drifts
const maxRows = intFlag('max-rows', a['max-rows'], 1, 1_000_000);
const buckets = intFlag('buckets', a.buckets, 1, 64);
const rounds = intFlag('rounds', a.rounds, 1, 100);
const m = machine();
const config = `vehicles=${vehicles};positions=${positions || 'all'};parked=${parked}s;drift=${drift};batch=${maxRows}`;
const csv = (metric: string, unit: string, value: number): void =>
  console.log([m.date, m.sha, m.node, m.cpu.replace(/,/g, ' '), m.cores, config, metric, unit, value].join(','));

/**
 * The spool stand-in. Rows are kept packed in typed arrays (grown as rows are pushed) and become objects only
 * when read, as decoded rows arrive from the workers in production: a heap of millions of live row objects
 * would make the bench measure the garbage collector instead of the sink.
 */
class PackedSpool implements SpoolSource<PositionRow, number> {
  committed = 0;
  private n = 0;
  private cursor = 0;
  private order = new Uint32Array(0);
  // u32: ts recvTs speed direction alarm status odometer fuel satellites signal backfill terminal extras; i32: lat lon altitude
  private u32 = Array.from({ length: 13 }, () => new Uint32Array(1 << 16));
  private i32 = Array.from({ length: 3 }, () => new Int32Array(1 << 16));
  private readonly names: string[] = [];
  private readonly extraStrings: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly extraIds = new Map<string, number>();

  private static intern(m: Map<string, number>, list: string[], v: string): number {
    let i = m.get(v);
    if (i === undefined) m.set(v, (i = list.push(v) - 1));
    return i;
  }

  push(r: PositionRow): void {
    if (this.n === this.u32[0].length) {
      const grow = <T extends Uint32Array | Int32Array>(c: T): T => {
        const g = new (c.constructor as new (n: number) => T)(c.length * 2);
        g.set(c);
        return g;
      };
      this.u32 = this.u32.map(grow);
      this.i32 = this.i32.map(grow);
    }
    const i = this.n++;
    const t = PackedSpool.intern(this.nameIds, this.names, r.terminal);
    const x = PackedSpool.intern(this.extraIds, this.extraStrings, r.extras);
    [r.ts, r.recvTs, r.speed, r.direction, r.alarm, r.status, r.odometer, r.fuel, r.satellites, r.signal, r.backfill, t, x].forEach((v, c) => (this.u32[c][i] = v));
    [r.latE6, r.lonE6, r.altitude].forEach((v, c) => (this.i32[c][i] = v));
  }

  /** Arrival order: by receive time, as the spool would hold them. Call once all rows are pushed. */
  seal(): this {
    const [ts, recv] = this.u32;
    this.order = new Uint32Array(this.n).map((_, i) => i).sort((x, y) => recv[x] - recv[y] || ts[x] - ts[y]);
    return this;
  }

  /** Back to the first record (each round replays the same spool into a fresh database). */
  rewind(): void {
    this.cursor = 0;
    this.committed = 0;
  }

  get total(): number {
    return this.n;
  }

  private row(i: number): PositionRow {
    const u = this.u32;
    const s = this.i32;
    return {
      terminal: this.names[u[11][i]], ts: u[0][i], recvTs: u[1][i], latE6: s[0][i], lonE6: s[1][i], speed: u[2][i],
      direction: u[3][i], altitude: s[2][i], alarm: u[4][i], status: u[5][i], odometer: u[6][i], fuel: u[7][i],
      satellites: u[8][i], signal: u[9][i], backfill: u[10][i] as 0 | 1, extras: this.extraStrings[u[12][i]],
    };
  }

  async read(maxBytes: number): Promise<{ records: PositionRow[]; next: number }> {
    const end = Math.min(this.n, this.cursor + Math.max(1, Math.floor(maxBytes / 60)));
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

const zone = new Zone(DEFAULT_TIMEZONE);
const today = zone.day(Math.floor(Date.now() / 1000));
const day = addDays(today, -2); // closed: its end + 4 h lookahead + grace are long past
const dayStart = zone.bounds(day).start;
const clockShiftMs = (zone.bounds(today).start - dayStart) * 1000;

// The fleet's day, vehicle after vehicle: the first `positions` rows are the measured spool, the rest of the
// fleet (--rollup) tops the day up afterwards.
const t0 = performance.now();
const truth = new Map<string, SynthTruth>();
const synth = { terminals: vehicles, dayStart, parkedIntervalS: parked, driftShare: drift, onTruth: (t: SynthTruth) => truth.set(t.terminal, t) };
const measured = new PackedSpool();
const topUp = new PackedSpool();
const full = (): boolean => positions > 0 && measured.total >= positions;
for (let v = 0; v < vehicles || (positions > 0 && !full()); v++) {
  if (full() && !a.rollup) break;
  for (const r of synthVehicleDay(v, synth)) (full() ? (a.rollup ? topUp : undefined) : measured)?.push(r);
}
measured.seal();
topUp.seal();
const total = measured.total;
const fleet = truth.size;
console.error(`generated ${total} rows (+${topUp.total} to top up) for ${fleet} vehicles, day ${day}, in ${((performance.now() - t0) / 1000).toFixed(1)} s (${config})`);

interface Drain {
  secs: number;
  rps: number;
  mainUs: number;
  procUs: number;
  maxDelay: number;
  p99Delay: number;
  batches: number;
}

/** Feeds a spool through a real Sink until everything is committed. */
async function drain(db: Db, spool: PackedSpool, name: string): Promise<Drain> {
  spool.rewind();
  const sink = new Sink({
    db, source: spool, decode: rowDecode(async (p: PositionRow[]) => ({ positions: p, ignition: [] })), name, maxRows, readBytes: 1 << 20, replayGraceMs: 0, idleMs: 1,
    now: () => Date.now() - clockShiftMs,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const loop = sink.start();
  while (spool.committed < spool.total) await new Promise((r) => setTimeout(r, 2));
  const secs = (performance.now() - start) / 1000;
  await sink.stop();
  await loop;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  loopDelay.disable();
  const n = spool.total;
  return {
    secs, rps: n / secs, mainUs: (elu.active * 1000) / n, procUs: (cpu.user + cpu.system) / n,
    maxDelay: loopDelay.max / 1e6, p99Delay: loopDelay.percentile(99) / 1e6, batches: sink.stats().batches,
  };
}

interface RollupFigures {
  secs: number;
  cpuS: number;
  windowRows: number;
  rowsPerS: number;
  vehicles: number;
  dailyRows: number;
  kmStored: number;
  kmTruth: number;
  within5pct: number;
  badTime: number;
  trips: number;
  tripsTruth: number;
  /** Process RSS before the tick and its peak during it (the embedded engine included), MiB. */
  rssMiB: [number, number];
  /** Each statement of the tick and its wall time (ms). */
  queries: { sql: string; ms: number }[];
}

/** Tops the day up to the whole fleet, merges it (a closed day has been by then) and times Rollup.tick() on it. */
async function rollupDay(db: Db): Promise<RollupFigures> {
  if (topUp.total) {
    const d = await drain(db, topUp, 'bench-topup');
    console.error(`topped up ${topUp.total} rows in ${d.secs.toFixed(1)} s`);
  }
  await db.command(`OPTIMIZE TABLE ${db.local('positions')} FINAL`);
  const b = zone.bounds(day);
  const [w] = await db.query<{ n: number }>(
    `SELECT toUInt64(count()) AS n FROM ${db.t('positions')} WHERE ts >= {from:DateTime} AND ts < {to:DateTime}`,
    { from: b.start - lookbackS(DEFAULT_RULES), to: b.end + DEFAULT_RULES.lookaheadS },
  );
  // chdb keeps no system.query_log: time each statement of the tick from here (what is left is Node's work).
  const queries: RollupFigures['queries'] = [];
  const timed = <A extends unknown[], R>(f: (...x: A) => Promise<R>) => async (...x: A): Promise<R> => {
    const t = performance.now();
    try {
      return await f(...x);
    } finally {
      queries.push({ sql: String(x[0]).replace(/\s+/g, ' ').trim().slice(0, 70), ms: performance.now() - t });
    }
  };
  const spy = Object.create(db) as Db;
  spy.query = timed(db.query.bind(db)) as Db['query'];
  spy.insert = timed(db.insert.bind(db));
  spy.command = timed(db.command.bind(db));
  const rollup = new Rollup(spy, { firstDay: day, maxDaysPerTick: 1, buckets });
  const rssBefore = process.memoryUsage().rss;
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM: the peak below is the tick's own (Linux)
  } catch {
    // elsewhere the peak is the process's
  }
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const mono0 = process.hrtime.bigint() / 1000n;
  const tick = await rollup.tick();
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const rssPeak = hwm ? Number(hwm[1]) * 1024 : process.memoryUsage().rss;
  // The tick's span on CLOCK_MONOTONIC (µs), to cut a --cpu-prof profile to it (bench/lib/profile.ts).
  console.error(`rollup tick: monotonic µs ${mono0} ${process.hrtime.bigint() / 1000n}`);
  if (tick.days.length !== 1 || tick.days[0].day !== day) throw new Error(`the tick computed ${JSON.stringify(tick.days)}, not ${day}`);
  const daily = await db.query<{ terminal: string; distance_m: number; drive_s: number; idle_s: number; off_s: number; gap_s: number; trips: number }>(
    `SELECT terminal, distance_m, drive_s, idle_s, off_s, gap_s, trips FROM ${db.t('vehicle_daily')} FINAL WHERE day = {day:Date}`,
    { day },
  );
  let kmStored = 0;
  let kmTruth = 0;
  let within5pct = 0;
  let badTime = 0;
  let trips = 0;
  let tripsTruth = 0;
  for (const r of daily) {
    const t = truth.get(r.terminal);
    const d = Number(r.distance_m);
    kmStored += d / 1000;
    kmTruth += (t?.drivenM ?? 0) / 1000;
    if (t && Math.abs(d - t.drivenM) <= 0.05 * t.drivenM) within5pct++;
    if (Number(r.drive_s) + Number(r.idle_s) + Number(r.off_s) + Number(r.gap_s) !== 86_400) badTime++;
    trips += Number(r.trips);
    tripsTruth += t?.trips ?? 0;
  }
  return {
    secs, cpuS: (cpu.user + cpu.system) / 1e6, windowRows: Number(w.n), rowsPerS: Number(w.n) / secs,
    vehicles: tick.days[0].terminals, dailyRows: new Set(daily.map((r) => r.terminal)).size === daily.length ? daily.length : -1,
    kmStored, kmTruth, within5pct, badTime, trips, tripsTruth, queries, rssMiB: [Math.round(rssBefore / 2 ** 20), Math.round(rssPeak / 2 ** 20)],
  };
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fg-bench-store-'));
const drains: Drain[] = [];
let bytes: Awaited<ReturnType<typeof bytesPerRow>> | undefined;
let roll: RollupFigures | undefined;
try {
  for (let round = 1; round <= rounds; round++) {
    const db = await openDb({ dataDir, database: `bench_${round}` });
    await migrate(db);
    const d = await drain(db, measured, 'bench');
    drains.push(d);
    csv('sink_rows_per_s', 'rows/s', Math.round(d.rps));
    csv('main_thread_us_per_row', 'us', +d.mainUs.toFixed(2));
    csv('process_cpu_us_per_row', 'us', +d.procUs.toFixed(2));
    csv('max_event_loop_delay', 'ms', +d.maxDelay.toFixed(1));
    csv('p99_event_loop_delay', 'ms', +d.p99Delay.toFixed(1));
    console.error(
      `round ${round}: ${int(d.rps)} rows/s, main thread ${d.mainUs.toFixed(2)} µs/row, process CPU ${d.procUs.toFixed(2)} µs/row, ` +
        `loop delay p99 ${d.p99Delay.toFixed(1)} ms / max ${d.maxDelay.toFixed(1)} ms, ${d.batches} batches, load ${load()[0]}`,
    );
    if (round === 1) {
      bytes = await bytesPerRow(db);
      csv('bytes_per_stored_position', 'B', +bytes.total.toFixed(3));
      console.error(`stored ${bytes.rows} positions after merge (resends collapsed): ${bytes.total.toFixed(3)} B/row on disk`);
      console.error(`  per column (compressed): ${bytes.columns.map(([n, v]) => `${n} ${v.toFixed(3)}`).join(', ')}`);
      if (a.rollup) {
        roll = await rollupDay(db);
        csv('rollup_s', 's', +roll.secs.toFixed(2));
        csv('rollup_rows_scanned_per_s', 'rows/s', Math.round(roll.rowsPerS));
        console.error(
          `rollup of ${day}: ${roll.vehicles} vehicles, ${roll.windowRows} rows in the window, ${roll.secs.toFixed(1)} s ` +
            `(${int(roll.rowsPerS)} rows/s, process CPU ${roll.cpuS.toFixed(1)} s, RSS ${roll.rssMiB[0]} → peak ${roll.rssMiB[1]} MiB); vehicle_daily ${roll.dailyRows} rows (one per vehicle: ${roll.dailyRows === fleet ? 'yes' : 'NO'}), ` +
            `${int(roll.kmStored)} km stored vs ${int(roll.kmTruth)} km driven (${fixed((100 * roll.kmStored) / roll.kmTruth - 100, 2)} %), ` +
            `${roll.within5pct} within 5 %, ${roll.badTime} with times not summing to 86,400 s, trips ${roll.trips} vs ${roll.tripsTruth} simulated`,
        );
        const inSql = roll.queries.reduce((x, q) => x + q.ms, 0);
        for (const q of roll.queries.filter((x) => x.ms >= 20)) console.error(`  ${fixed(q.ms, 0).padStart(7)} ms  ${q.sql}`);
        console.error(`  ${fixed(inSql, 0).padStart(7)} ms in ${roll.queries.length} statements, ${fixed(roll.secs * 1000 - inSql, 0)} ms in Node between them`);
      }
    }
    await db.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const rps = drains.map((d) => d.rps);
const med = (f: (d: Drain) => number): number => median(drains.map(f));
csv('sink_rows_per_s_median', 'rows/s', Math.round(median(rps)));
const loadEnd = load();
console.error(`sink: median ${int(median(rps))} rows/s over ${drains.length} round(s) (${rps.map(int).join(', ')}); load ${m.loadavg[0]} → ${loadEnd[0]}`);
const summary = {
  day, vehicles: fleet, positions: total, bytesPerRow: bytes?.total, sinkRowsPerS: rps, sinkMedian: median(rps), procUsPerRow: med((d) => d.procUs),
  mainUsPerRow: med((d) => d.mainUs), rollup: roll, loadStart: m.loadavg, loadEnd,
};
console.log(JSON.stringify(summary));

if (a.write) {
  const cmd = `npx tsx bench/store.ts ${process.argv.slice(2).filter((x) => x !== '--write').join(' ')}`.trim();
  const rows: (string | number)[][] = [
    ['positions stored (exact, first rows of the fleet-day)', int(total)],
    ['bytes per stored position (system.parts after OPTIMIZE FINAL)', bytes ? fixed(bytes.total, 3) : '–'],
    [`sink rows/s, median of ${drains.length} (each round)`, `${int(median(rps))} (${rps.map(int).join(', ')})`],
    ['process CPU per row, median', `${fixed(med((d) => d.procUs), 2)} µs`],
  ];
  if (roll) {
    rows.push(
      [`rollup (Rollup.tick) of ${int(roll.vehicles)} vehicles × 1 day`, `${fixed(roll.secs, 1)} s (process CPU ${fixed(roll.cpuS, 1)} s)`],
      ['process RSS before the tick → peak during it', `${int(roll.rssMiB[0])} → ${int(roll.rssMiB[1])} MiB`],
      ['rows in the rollup window / scanned per s', `${int(roll.windowRows)} / ${int(roll.rowsPerS)}`],
      ['vehicle_daily rows (one per vehicle)', `${int(roll.dailyRows)} ${roll.dailyRows === fleet ? '(yes)' : '(NO)'}`],
      ['distance stored vs driven', `${int(roll.kmStored)} km vs ${int(roll.kmTruth)} km (${fixed((100 * roll.kmStored) / roll.kmTruth - 100, 2)} %), ${int(roll.within5pct)} vehicles within 5 %`],
      ['trips stored vs simulated; days whose times ≠ 86,400 s', `${int(roll.trips)} vs ${int(roll.tripsTruth)}; ${roll.badTime}`],
    );
  }
  writeSection('Store', [
    `\`${cmd}\` (${config}). Generated by bench/store.ts --write; notes in "Store: what was measured and changed" below.`,
    '',
    machineLine(m, loadEnd),
    '',
    table(['figure', 'value'], ['l', 'r'], rows),
    '',
  ].join('\n'));
}
