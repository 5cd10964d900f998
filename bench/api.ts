/**
 * API requests/s and latency (autocannon): a one-day track (≈2,880 points) and the quarter fleet report.
 *   npx tsx bench/api.ts [--vehicles 3000] [--copies 10] [--duration 10] [--fresh] [--write]
 *
 * Data (bench/out/api-data, kept between runs unless --fresh): `vehicles` terminals × one day (2026-07-01,
 * Asia/Shanghai) of positions from bench/store-synth.ts (a report every 30 s, moving or parked) through the real
 * Sink, rolled up by the real Rollup (vehicle_daily, trips). That day's figures are copied to the other 91 days
 * of 2026-Q3 with ±50 % variation (as CLICKHOUSE.md §4.5 did: raw data for a quarter would take hours to
 * generate here), and the whole quarter is copied `copies` times under other ids for the 30,000-terminal
 * fleet, in its own database. Then every table read is merged (OPTIMIZE … FINAL: the state background merges
 * reach for a past quarter). The API runs in a child process (own event loop), autocannon runs here; each
 * scenario gets a 2 s warm-up that is dropped. One CSV row per figure on stdout; --write puts the "## API"
 * section into bench/RESULTS.md (other sections are kept).
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildApi } from '../src/api/app.js';
import { TrackCache } from '../src/api/tracks/cache.js';
import { openDb } from '../src/store/connect.js';
import type { Db } from '../src/store/db.js';
import { LatestCache } from '../src/store/latest-cache.js';
import { migrate } from '../src/store/migrations.js';
import { Rollup } from '../src/store/rollup/job.js';
import type { PositionRow } from '../src/store/rows.js';
import { rowDecode } from '../src/store/encode-positions.js';
import { TRIPS, VEHICLE_DAILY } from '../src/store/schema.js';
import { Sink, type SpoolSource } from '../src/store/sink.js';
import { Zone } from '../src/store/timezone.js';
import { synthVehicleDay } from './store-synth.js';

const { values: a } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '3000' },
    copies: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    serve: { type: 'string' },
    cache: { type: 'boolean', default: false },
  },
});

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, 'out', 'api-data');
const DAY = '2026-07-01';
const QUARTER = '2026-Q3';
const QUARTER_DAYS = 92;
const zone = new Zone('Asia/Shanghai');
const terminalId = (n: number): string => String(13_800_000_000 + n);

// ---------------------------------------------------------------------------------------------------
// Serve mode (the child): both fleets' APIs on ephemeral ports, rate limit out of the way.

async function serve(dir: string, cache: boolean): Promise<void> {
  const log = pino({ level: 'silent' });
  const ports: Record<string, number> = {};
  for (const database of ['fleet3k', 'fleet30k']) {
    const db = await openDb({ dataDir: dir, database });
    const app = await buildApi({
      log, registry: new Registry(), readiness: async () => ({ ready: true, checks: {} }),
      data: {
        db, rollup: new Rollup(db, { timezone: zone.tz }), latest: new LatestCache(),
        terminals: { list: () => [], get: () => undefined, provision: async () => {} }, sessions: { get: () => undefined },
        trackCache: cache ? new TrackCache() : undefined, cacheReports: cache,
      },
      options: { apiRateLimit: 1_000_000_000, maxTrackDays: 31, timezone: zone.tz },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    ports[database] = (app.server.address() as { port: number }).port;
  }
  process.stdout.write(`READY ${JSON.stringify(ports)}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Data.

interface Dataset {
  vehicles: number;
  copies: number;
  positions: number;
  meanPoints: number;
  daily3k: number;
  trips3k: number;
  daily30k: number;
  trips30k: number;
  ingestS: number;
  rollupS: number;
  /** Parts merged (OPTIMIZE … FINAL): the state background merges reach for a past quarter. */
  merged?: boolean;
}

/** Merges every table the scenarios read, as background merges do for past months. */
async function merge(d: Dataset): Promise<Dataset> {
  const t0 = performance.now();
  for (const database of ['fleet3k', 'fleet30k']) {
    const db = await openDb({ dataDir: DATA, database });
    for (const table of database === 'fleet3k' ? ['positions', 'vehicle_daily', 'trips'] : ['vehicle_daily', 'trips']) {
      await db.command(`OPTIMIZE TABLE ${db.local(table)} FINAL`);
    }
    await db.close();
  }
  console.error(`merged in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const merged = { ...d, merged: true };
  writeFileSync(join(DATA, 'dataset.json'), JSON.stringify(merged, null, 2));
  return merged;
}

/**
 * Applies migrations added since the data was made; positions are then copied into a table of the new layout
 * (migration 4: compact parts), since a merge keeps a part's old one. True when any was applied.
 */
async function migrateData(): Promise<boolean> {
  let applied = false;
  for (const database of ['fleet3k', 'fleet30k']) {
    const db = await openDb({ dataDir: DATA, database });
    if ((await migrate(db)).applied.length > 0) {
      applied = true;
      const [from, to] = [db.t('positions'), db.t('positions_relayout')];
      await db.command(`DROP TABLE IF EXISTS ${to}`);
      await db.command(`CREATE TABLE ${to} AS ${from}`);
      await db.command(`INSERT INTO ${to} SELECT * FROM ${from}`);
      await db.command(`EXCHANGE TABLES ${from} AND ${to}`);
      await db.command(`DROP TABLE ${to}`);
    }
    await db.close();
  }
  return applied;
}

async function count(db: Db, table: string): Promise<number> {
  const [r] = await db.query<{ n: number }>(`SELECT toUInt64(count()) AS n FROM ${db.t(table)}`);
  return Number(r.n);
}

/** Positions through the real Sink: vehicles are generated as the sink reads, so memory stays small. */
async function ingest(db: Db, vehicles: number): Promise<void> {
  const dayStart = zone.bounds(DAY).start;
  let n = 0;
  let buffered: PositionRow[] = [];
  let committed = 0;
  let read = 0;
  const source: SpoolSource<PositionRow, number> = {
    async read() {
      while (buffered.length < 20_000 && n < vehicles) buffered = buffered.concat(synthVehicleDay(n++, { terminals: vehicles, dayStart, parkedIntervalS: 30, movingIntervalS: 30 }));
      const records = buffered.splice(0, 20_000);
      read += records.length;
      return { records, next: read };
    },
    async commit(p) {
      committed = p;
    },
  };
  const sink = new Sink({ db, source, decode: rowDecode(async (positions: PositionRow[]) => ({ positions, ignition: [] })), name: 'bench-api', maxRows: 50_000, replayGraceMs: 0, idleMs: 2, timezone: zone.tz });
  const loop = sink.start();
  while (n < vehicles || buffered.length > 0 || committed < read) await new Promise((r) => setTimeout(r, 20));
  await sink.stop();
  await loop;
}

/** `INSERT … SELECT` of every column of a table, with some columns rewritten. */
function copySql(db: Db, spec: { name: string; columns: readonly { name: string; alias?: string }[] }, from: string, join: string, where: string, rewrite: Record<string, string>): string {
  const cols = spec.columns.filter((c) => !c.alias).map((c) => c.name);
  return `INSERT INTO ${db.t(spec.name)} (${cols.join(', ')}) SELECT ${cols.map((c) => rewrite[c] ?? c).join(', ')} FROM ${from} ${join} ${where}`;
}

async function prepare(vehicles: number, copies: number): Promise<Dataset> {
  const marker = join(DATA, 'dataset.json');
  if (!a.fresh && existsSync(marker)) {
    const d = JSON.parse(readFileSync(marker, 'utf8')) as Dataset;
    if (d.vehicles === vehicles && d.copies === copies) return d.merged && !(await migrateData()) ? d : merge(d);
  }
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  const small = await openDb({ dataDir: DATA, database: 'fleet3k' });
  await migrate(small);
  let t0 = performance.now();
  await ingest(small, vehicles);
  const ingestS = (performance.now() - t0) / 1000;
  console.error(`ingested ${vehicles} vehicle-days in ${ingestS.toFixed(1)} s`);
  t0 = performance.now();
  await new Rollup(small, { timezone: zone.tz }).runDay(DAY);
  const rollupS = (performance.now() - t0) / 1000;
  console.error(`rolled up ${DAY} in ${rollupS.toFixed(1)} s`);

  // The rest of the quarter from the computed day, each terminal-day scaled by its own factor in [0.5, 1.5].
  const f = '(0.5 + (cityHash64(terminal, k) % 1001) / 1000)';
  const scaled = (c: string, type: string): string => `to${type}(${c} * ${f})`;
  await small.command(copySql(small, VEHICLE_DAILY, small.t('vehicle_daily'), `ARRAY JOIN range(1, ${QUARTER_DAYS}) AS k`, `WHERE day = '${DAY}'`, {
    day: 'day + k', distance_m: scaled('distance_m', 'UInt32'), gps_m: scaled('gps_m', 'UInt32'), odo_m: scaled('odo_m', 'UInt32'),
    drive_s: `toUInt32(least(86400, drive_s * ${f}))`, idle_s: scaled('idle_s', 'UInt32'), fuel_used_dl: scaled('fuel_used_dl', 'Int32'),
    first_ts: 'first_ts + k * 86400', last_ts: 'last_ts + k * 86400',
  }));
  await small.command(copySql(small, TRIPS, small.t('trips'), `ARRAY JOIN range(1, ${QUARTER_DAYS}) AS k`, `WHERE day = '${DAY}'`, {
    day: 'day + k', trip_id: "concat(terminal, '-', toString(toUInt32(start_ts) + k * 86400))",
    start_ts: 'start_ts + k * 86400', end_ts: 'end_ts + k * 86400',
  }));
  await small.command(
    `INSERT INTO ${small.t('rollup_runs')} (day, rules, terminals, started_at, finished_at)
     SELECT toDate('${DAY}') + k, rules, terminals, started_at, finished_at FROM ${small.t('rollup_runs')} ARRAY JOIN range(1, ${QUARTER_DAYS}) AS k`,
  );

  // The 30,000-terminal fleet: the quarter under `copies` sets of ids.
  const big = await openDb({ dataDir: DATA, database: 'fleet30k' });
  await migrate(big);
  const id = 'toString(toUInt64(terminal) + 100000 * c)';
  await big.command(copySql(big, VEHICLE_DAILY, small.t('vehicle_daily'), `ARRAY JOIN range(${copies}) AS c`, '', { terminal: id }));
  await big.command(copySql(big, TRIPS, small.t('trips'), `ARRAY JOIN range(${copies}) AS c`, '', {
    terminal: id, trip_id: `concat(${id}, '-', toString(toUInt32(start_ts)))`,
  }));
  await big.command(`INSERT INTO ${big.t('rollup_runs')} SELECT * FROM ${small.t('rollup_runs')}`);

  const positions = await count(small, 'positions');
  const [pts] = await small.query<{ m: number }>(
    `SELECT avg(n) AS m FROM (SELECT terminal, count(DISTINCT ts) AS n FROM ${small.t('positions')} GROUP BY terminal)`,
  );
  const d: Dataset = {
    vehicles, copies, positions, meanPoints: Math.round(Number(pts.m)), daily3k: await count(small, 'vehicle_daily'),
    trips3k: await count(small, 'trips'), daily30k: await count(big, 'vehicle_daily'), trips30k: await count(big, 'trips'), ingestS, rollupS,
  };
  await small.close();
  await big.close();
  writeFileSync(marker, JSON.stringify(d, null, 2));
  return merge(d);
}

// ---------------------------------------------------------------------------------------------------
// Load.

async function startServer(cache: boolean): Promise<{ child: ChildProcess; ports: Record<string, number> }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', DATA, ...(cache ? ['--cache'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<Record<string, number>>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]) as Record<string, number>);
    });
    child.once('exit', (code) => reject(new Error(`API server exited (${code})`)));
  });
  return { child, ports };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface Scenario {
  name: string;
  port: number;
  connections: number;
  duration: number;
  paths: () => string;
}

interface Figure {
  scenario: string;
  connections: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  bad: number;
}

async function load(s: Scenario): Promise<Figure> {
  const run = (duration: number): Promise<Result> =>
    autocannon({
      url: `http://127.0.0.1:${s.port}`, connections: s.connections, duration, timeout: 30,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: s.paths() }) }],
    });
  await run(2); // warm-up, dropped
  const r = await run(s.duration);
  return {
    scenario: s.name, connections: s.connections, rps: r.requests.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99,
    max: r.latency.max, requests: r.requests.total, bad: r.non2xx + r.errors + r.timeouts,
  };
}

function sha(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

function markdown(meta: Record<string, string | number>, d: Dataset, figures: Figure[]): string {
  const row = (f: Figure): string =>
    `| ${f.scenario} | ${f.connections} | ${f.rps.toFixed(1)} | ${f.p50} | ${f.p90} | ${f.p99} | ${f.max} | ${f.requests} | ${f.bad} |`;
  return [
    '## API',
    '',
    `Command: \`npx tsx bench/api.ts --write\` (autocannon against the API in a child process; ${meta.duration} s per scenario after a`,
    "dropped 2 s warm-up; latency in ms). Embedded ClickHouse (chdb) in the API's process.",
    '',
    `Machine: ${meta.cpu}, ${meta.cores} cores, load average ${meta.loadStart} at the start and ${meta.loadEnd} at the end (shared machine);`,
    `Node ${meta.node}; ${meta.date}; ${meta.sha}.`,
    '',
    `Data: ${d.vehicles.toLocaleString('en')} terminals × one day (${DAY}), ${d.positions.toLocaleString('en')} positions through the Sink`,
    `(${d.meanPoints.toLocaleString('en')} distinct points per terminal-day), rolled up by the Rollup; that day's figures copied to the ${QUARTER_DAYS} days`,
    `of ${QUARTER} (±50 %): vehicle_daily ${d.daily3k.toLocaleString('en')} rows, trips ${d.trips3k.toLocaleString('en')}; ×${d.copies} under other ids for`,
    `${(d.vehicles * d.copies).toLocaleString('en')} terminals: vehicle_daily ${d.daily30k.toLocaleString('en')} rows, trips ${d.trips30k.toLocaleString('en')}. Parts merged`,
    '(OPTIMIZE … FINAL), as background merges leave a past quarter.',
    '',
    '| scenario | connections | req/s | p50 | p90 | p99 | max | requests | non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...figures.map(row),
    '',
    '- *cold*: caches off. Tracks: every request a different terminal (random among all): ClickHouse answers each one.',
    '  Reports: every request runs both reads (vehicle_daily FINAL; trips outside working hours).',
    '- *warm*: caches on, as start.ts runs them. Tracks: 20 terminals in turn (repeated playback of the same day); a',
    "  terminal's entries are dropped when the sink commits rows of it. Reports: the same quarter again; the reads are",
    '  kept while the parts of its partitions are unchanged (what remains is building and sending the body).',
    '- Targets: one-day track p99 ≤ 15 ms; quarter report for 30,000 terminals ≤ 1 s.',
    '',
    '',
  ].join('\n');
}

/** Replaces the "## API" section of RESULTS.md (up to the next "## "), or appends it. */
function writeResults(section: string): void {
  const file = join(HERE, 'RESULTS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const start = text.indexOf('## API\n');
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  writeFileSync(file, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
}

async function main(): Promise<void> {
  if (a.serve) return serve(a.serve, a.cache);
  const vehicles = Number(a.vehicles);
  const copies = Number(a.copies);
  const duration = Number(a.duration);
  const loadStart = loadavg()[0].toFixed(1);
  const d = await prepare(vehicles, copies);
  console.error(`dataset: ${JSON.stringify(d)}`);

  const rnd = (n: number): number => Math.floor(Math.random() * n);
  const track = (id: string, format = 'json'): string => `/api/v1/terminals/${id}/track?from=${DAY}&to=2026-07-02${format === 'json' ? '' : `&format=${format}`}`;
  const figures: Figure[] = [];

  let server = await startServer(false);
  try {
    const small = server.ports.fleet3k;
    const big = server.ports.fleet30k;
    for (const c of [1, 4]) {
      figures.push(await load({ name: 'one-day track, JSON, cold', port: small, connections: c, duration, paths: () => track(terminalId(rnd(vehicles))) }));
    }
    figures.push(await load({ name: 'one-day track, protobuf, cold', port: small, connections: 1, duration, paths: () => track(terminalId(rnd(vehicles)), 'protobuf') }));
    figures.push(await load({ name: 'one-day track, CSV, cold', port: small, connections: 1, duration, paths: () => track(terminalId(rnd(vehicles)), 'csv') }));
    const report = (format: string) => () => `/api/v1/reports/fleet?period=${QUARTER}${format === 'json' ? '' : `&format=${format}`}`;
    const fleets: Array<[string, number]> = [[vehicles.toLocaleString('en'), small], [(vehicles * copies).toLocaleString('en'), big]];
    for (const [n, port] of fleets) {
      for (const format of ['json', 'csv']) {
        figures.push(await load({ name: `quarter fleet report, ${n} terminals, ${format.toUpperCase()}, cold`, port, connections: 1, duration: Math.max(duration, 20), paths: report(format) }));
      }
    }
  } finally {
    await stopServer(server.child);
  }

  server = await startServer(true);
  try {
    const hot = Array.from({ length: 20 }, (_, i) => terminalId(i * Math.floor(vehicles / 20)));
    let i = 0;
    for (const c of [1, 4]) {
      figures.push(await load({ name: 'one-day track, JSON, warm (track cache)', port: server.ports.fleet3k, connections: c, duration, paths: () => track(hot[i++ % hot.length]) }));
    }
    const report = () => `/api/v1/reports/fleet?period=${QUARTER}`;
    figures.push(await load({ name: `quarter fleet report, ${(vehicles * copies).toLocaleString('en')} terminals, JSON, warm (figure cache)`, port: server.ports.fleet30k, connections: 1, duration, paths: report }));
  } finally {
    await stopServer(server.child);
  }

  const meta = {
    date: new Date().toISOString().slice(0, 10), sha: sha(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
    loadStart, loadEnd: loadavg()[0].toFixed(1), duration,
  };
  const head = [new Date().toISOString(), meta.sha, meta.node, String(meta.cpu).replace(/,/g, ' '), meta.cores, `vehicles=${vehicles};copies=${copies}`];
  for (const f of figures) {
    for (const [metric, unit, value] of [['req_per_s', 'req/s', f.rps], ['p50', 'ms', f.p50], ['p99', 'ms', f.p99]] as const) {
      console.log([...head, `${f.scenario} c${f.connections}`.replace(/,/g, ''), metric, unit, value].join(','));
    }
  }
  const md = markdown(meta, d, figures);
  console.error(md);
  if (a.write) writeResults(md);
}

await main();
