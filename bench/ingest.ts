/**
 * End-to-end ingest against the bare floor (issue #7): does fleetgate, which decodes, spools durably and
 * stores in ClickHouse, cost about as little CPU per answered message as a server that only answers?
 *
 *   npx tsx bench/ingest.ts [--write]          # full run: 3 rounds × {100, 1,000, 10,000} connections × {1, 8} in flight, then open loop
 *   npx tsx bench/ingest.ts --short            # 1 round, 1,000 connections, short windows (npm run bench)
 *   npx tsx bench/ingest.ts --sizes 1000 --windows 1 --rounds 5 --measure 5
 *   npx tsx bench/ingest.ts --perf ...         # + Linux perf of both servers, every thread, µs/msg by category
 *   npx tsx bench/ingest.ts --profile ...      # + V8 CPU profiles cut to the windows (bench/out/prof-*)
 *   npx tsx bench/ingest.ts --ack received | --decode-threads 0 | --fg-env BATCH_ROWS=50000,…   # fleetgate settings
 *   npx tsx bench/ingest.ts --fleetgate-dir ../candidate   # the gateway of another checkout (a candidate fix)
 *   npx tsx bench/ingest.ts --write --section 'Ingest: perf'  # write into another RESULTS.md section
 *   npx tsx bench/ingest.ts --half-rate-msgs 9000 …  # the open-loop rate, msg/s (default: half of what fleetgate sustained)
 *
 * One run starts both servers as their own processes and keeps them up: fleetgate (`node dist/src/main.js`, built
 * first as `npm start` does: embedded ClickHouse, ack=durable, a temporary data dir, defaults otherwise) and the
 * baseline (bench/baseline.ts, same build). For each configuration it drives them in turn, A B A B…, with the load generator in a
 * third process (bench/lib/loader.ts; why not fleetgate-sim there: see that file). A drive:
 *   1. every terminal connects, registers and authenticates (not measured), then the load starts;
 *   2. after 1 s the window opens: server CPU from /proc/<pid>/stat (utime + stime of all threads), its
 *      threads by name, the load generator's CPU, the machine's busy share, answered count, latency reset;
 *   3. `--measure` s later it closes: answered messages and exact latency percentiles of the window;
 *   4. fleetgate, first `--probe-rounds` rounds: `--probe` s of the queryable probe (bench/lib/probe.ts) under
 *      the same load, outside the window because its API polls cost the gateway CPU;
 *   5. the load stops (answers in flight awaited); fleetgate: wait until its sink has stored every position
 *      it received (/metrics) — the all-in CPU runs from the window's start to here.
 * Every fleetgate drive uses its own range of terminal ids, so after the run (fleetgate stopped gracefully)
 * bench/lib/count-rows.ts compares the rows stored per drive with the positions answered. Then an open-loop
 * phase (10,000 terminals, each on its own schedule) at half the rate fleetgate sustained all-in with the
 * largest fleet and 1 in flight: answer latency with durable ack, queryable latency, CPU ratio.
 *
 * Figures: JSON on stdout and in bench/out/ingest.json; one CSV row per drive and figure in
 * bench/out/ingest.csv; `--write` replaces the "Ingest" section of bench/RESULTS.md (`--short`: "Ingest (short run)").
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnTs, lines, exited, stopChild, Tail } from './lib/children.js';
import { load, machine, machineLine, type Machine } from './lib/machine.js';
import { busyShare, cpuByThreadName, machineCpu, sampleProc, sampleThreads, type MachineCpu, type ProcSample } from './lib/proc.js';
import { Probe, type ProbeResult } from './lib/probe.js';
import { summarizeProfiles, type ProfileSummary } from './lib/profile.js';
import { PERF_NODE_ARGS, perfAvailable, record as perfRecord, summarize as perfSummarize, type PerfSummary } from './lib/perf.js';
import { CsvOut, OUT_DIR, table, writeJson, writeSection } from './lib/record.js';
import { scrape, startBaseline, startFleetgate, type Server } from './lib/servers.js';
import { Sim, type ProgressLine } from './lib/sim.js';
import { LoadClient } from './lib/load-client.js';
import { fixed, int, max, median, quantile, round, sleep } from './lib/stats.js';

const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string' },
    sizes: { type: 'string' },
    windows: { type: 'string' },
    measure: { type: 'string' },
    probe: { type: 'string' },
    'half-rate': { type: 'string' },
    'half-rounds': { type: 'string' },
    'half-rate-msgs': { type: 'string' },
    'probe-rounds': { type: 'string' },
    short: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    section: { type: 'string' },
    ack: { type: 'string', default: 'durable' },
    'open-load': { type: 'string', default: 'loader' },
    'decode-threads': { type: 'string' },
    'fg-env': { type: 'string' },
    'fleetgate-dir': { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
  },
});

const SHORT = a.short;
const ROUNDS = Number(a.rounds ?? (SHORT ? 1 : 3));
const SIZES = (a.sizes ?? (SHORT ? '1000' : '100,1000,10000')).split(',').map(Number);
const WINDOWS = (a.windows ?? (SHORT ? '1,8' : '1,8')).split(',').map(Number);
const MEASURE_S = Number(a.measure ?? (SHORT ? 2 : 3));
const PROBE_S = Number(a.probe ?? 2);
/** Closed-loop configurations probe "queryable" in their first N rounds (the probe lengthens a drive). */
const PROBE_ROUNDS = Number(a['probe-rounds'] ?? 1);
/** How long after the load a probe row may take to show before it counts as not queryable. */
const PROBE_WAIT_MS = 30_000;
const HALF_ROUNDS = Number(a['half-rounds'] ?? 1);
const HALF_RATE_S = Number(a['half-rate'] ?? (SHORT ? 0 : 6));
const HALF_RATE_TERMINALS = 10_000;
const PERF = a.perf && perfAvailable();
const PERF_DIR = join(OUT_DIR, 'perf');
const CATCHUP_MAX_S = 120;
/** Open loop: reports in flight per terminal at most (a terminal with this many unanswered skips its turn). */
const OPEN_WINDOW = 4;
const FIRST_ID = 14_000_000_000;
const GROUP = 100_000;

interface Window {
  server: 'fleetgate' | 'baseline';
  config: string;
  terminals: number;
  inFlight: number | 'open';
  round: number;
  drive: number;
  seconds: number;
  answered: number;
  msgsPerS: number;
  cpuUsPerMsg: number;
  /** Server CPU in the window, cores (1 = one core busy). */
  serverCores: number;
  simCores: number;
  machineBusy: number;
  p50Ms: number;
  /** Highest 1-s p99 in the window. */
  p99Ms: number;
  /** Median of the 1-s p99s. */
  p99MedianMs: number;
  threads: Record<string, number>;
  /** The window on CLOCK_MONOTONIC, µs (to cut CPU profiles to it). */
  monoUs: [number, number];
  /** From the simulator's report after the drain. */
  positionsAnswered: number;
  positionsUnanswered: number;
  setupS: number;
  loadavg: number;
  probe?: ProbeResult;
  /** Server CPU from the window's start until the sink has stored everything, per message answered from the window's start on. */
  allInCpuUsPerMsg: number;
  /** Messages answered from the window's start on, per second until the sink caught up. */
  sustainedMsgsPerS: number;
  /** Seconds of load from the window's start (window + probe phase). */
  loadS: number;
  /** fleetgate: seconds after the load until every received position was in ClickHouse. */
  catchupS?: number;
  /** `--perf`: the perf.data file of this drive (window start → all-in end). */
  perfFile?: string;
  /** Messages answered from the window's start to the end of the load. */
  allInAnswered?: number;
  error?: string;
}

const m: Machine = machine();
const csv = new CsvOut('ingest', m);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)}s`;

let driveNo = 0;
/**
 * Device time of each terminal's first report: live traffic, i.e. now (a minute ago), but never before today's
 * midnight in fleetgate's default report zone (Asia/Shanghai, UTC+8, no DST): rows for past days are backfill, which
 * the sink marks for restatement and the minute rollup recomputes — not the workload measured here. At max rate a
 * terminal's clock runs ahead of real time (one device second per report), which the store accepts.
 */
const SHANGHAI_S = 8 * 3600;
const NOW_S = Math.floor(Date.now() / 1000);
const START_TS = Math.max(NOW_S - 60, Math.floor((NOW_S + SHANGHAI_S) / 86_400) * 86_400 - SHANGHAI_S);

/** What a drive needs from a load generator: the closed-loop loader or the simulator. */
interface Load {
  pid: number;
  /** Every terminal online (ms since the drive started), or an error. */
  ready(): Promise<void>;
  /** Starts the load (the loader's barrier) and lets it run a second. */
  warm(): Promise<void>;
  /** Answered so far; the latency figures are those since the previous mark. */
  mark(): Promise<{ answered: number; p50Ms: number; p99Ms: number; p99MedianMs: number }>;
  /** Ends the drive (answers in flight awaited): messages answered in all (the unit of mark()), positions answered and not. */
  finish(): Promise<{ answeredTotal: number; positions: number; unanswered: number }>;
}

function loaderLoad(server: Server, terminals: number, window: number, firstId: number, rate?: number): Load {
  // One source address has ~28k ephemeral ports toward one port; spread big fleets over several anyway.
  const sourceIps = terminals >= 5000 ? Array.from({ length: 8 }, (_, i) => `127.0.2.${i + 1}`) : [];
  const l = new LoadClient({ port: server.port, terminals, window, firstId, sourceIps, ramp: terminals >= 5000 ? 5000 : 0, startTs: START_TS, rate });
  return {
    get pid() {
      return l.pid;
    },
    async ready() {
      const r = await l.online(120_000);
      if (!r) throw new Error(`not all terminals online within 120 s: ${l.last.online}/${terminals} (connected ${l.last.connected}, failed ${l.last.failed})`);
    },
    async warm() {
      l.go();
      await sleep(1000);
      await l.mark(); // resets the latency histogram
    },
    async mark() {
      const x = await l.mark();
      if (!x) throw new Error('loader did not answer');
      return { answered: x.answered, p50Ms: round(x.p50Ms, 2), p99Ms: round(x.p99Ms, 2), p99MedianMs: NaN };
    },
    async finish() {
      const x = await l.stop();
      return { answeredTotal: x.answered, positions: x.answered, unanswered: x.sent - x.answered };
    },
  };
}

function simulatorLoad(server: Server, terminals: number, perTerminal: number, firstId: number): Load {
  const sim = new Sim({
    port: server.port, terminals, rate: perTerminal, window: 8, firstId, durationS: 900, drainS: 5, ramp: 5000,
    sourceIps: terminals >= 5000 ? '127.0.2.1-127.0.2.8' : undefined,
  });
  let last: ProgressLine | undefined;
  return {
    get pid() {
      return sim.pid;
    },
    async ready() {
      const r = await sim.next((p) => p.online >= terminals, 120_000);
      if (!r) throw new Error(`not all terminals online within 120 s: ${sim.progress.at(-1)?.online ?? 0}/${terminals}\n${sim.tail}`);
    },
    async warm() {
      await sim.next(() => true, 5000);
    },
    async mark() {
      const p = await sim.next(() => true, 5000);
      if (!p) throw new Error(`simulator stopped\n${sim.tail}`);
      const inside = last ? sim.progress.filter((x) => x.at > last!.at && x.at <= p.at) : [];
      last = p;
      return { answered: p.answered, p50Ms: median(inside.map((x) => x.p50Ms)), p99Ms: max(inside.map((x) => x.p99Ms)), p99MedianMs: median(inside.map((x) => x.p99Ms)) };
    },
    async finish() {
      const r = await sim.interrupt(60_000);
      return { answeredTotal: r?.messages.answered ?? 0, positions: r?.positions.answered ?? 0, unanswered: r?.positions.unanswered ?? 0 };
    },
  };
}

/** One drive of one server with one load; see the file comment. */
async function drive(server: Server, terminals: number, inFlight: number | 'open', perTerminal: number, roundNo: number, probe: Probe | null, measureS = MEASURE_S, probeS = PROBE_S): Promise<Window> {
  const no = ++driveNo;
  const config = inFlight === 'open' ? `${terminals} terminals open loop ${perTerminal}/s each` : `${terminals} conn × ${inFlight} in flight`;
  const w: Window = {
    server: server.kind, config, terminals, inFlight, round: roundNo, drive: no, seconds: 0, answered: 0, msgsPerS: NaN, cpuUsPerMsg: NaN,
    serverCores: NaN, simCores: NaN, machineBusy: NaN, p50Ms: NaN, p99Ms: NaN, p99MedianMs: NaN, threads: {}, monoUs: [0, 0], positionsAnswered: 0,
    positionsUnanswered: 0, setupS: NaN, loadavg: load()[0], allInCpuUsPerMsg: NaN, sustainedMsgsPerS: NaN, loadS: NaN,
  };
  const started = performance.now();
  const firstId = FIRST_ID + no * GROUP;
  let s0: ProcSample | undefined;
  let m0answered = 0;
  // --perf: recorded from the window's start to the all-in end (the sink caught up).
  let perf: ChildProcess | undefined;
  let probing = false;
  const gen =
    inFlight !== 'open' ? loaderLoad(server, terminals, inFlight, firstId)
    : a['open-load'] === 'sim' ? simulatorLoad(server, terminals, perTerminal, firstId)
    : loaderLoad(server, terminals, OPEN_WINDOW, firstId, perTerminal);
  try {
    await gen.ready();
    w.setupS = round1((performance.now() - started) / 1000);
    await gen.warm();
    const m0 = await gen.mark();
    s0 = sampleProc(server.pid)!;
    m0answered = m0.answered;
    w.monoUs[0] = monoUs();
    const q0 = sampleProc(gen.pid)!;
    const th0 = sampleThreads(server.pid);
    const mc0: MachineCpu = machineCpu();
    if (PERF) {
      w.perfFile = join(PERF_DIR, `${server.kind}-${no}.data`);
      perf = perfRecord(server.pid, w.perfFile);
    }
    await sleep(measureS * 1000 - (inFlight === 'open' ? 500 : 0));
    const m1 = await gen.mark();
    const s1 = sampleProc(server.pid)!;
    w.monoUs[1] = monoUs();
    const q1 = sampleProc(gen.pid)!;
    const th1 = sampleThreads(server.pid);
    const mc1 = machineCpu();
    const dt = (s1.at - s0.at) / 1000;
    w.seconds = round(dt, 2);
    w.answered = m1.answered - m0.answered;
    w.msgsPerS = w.answered / dt;
    w.cpuUsPerMsg = round(((s1.cpuMs - s0.cpuMs) * 1000) / Math.max(1, w.answered), 3);
    w.serverCores = round((s1.cpuMs - s0.cpuMs) / (s1.at - s0.at), 3);
    w.simCores = round((q1.cpuMs - q0.cpuMs) / (q1.at - q0.at), 3);
    w.machineBusy = round(busyShare(mc0, mc1), 3);
    w.p50Ms = m1.p50Ms;
    w.p99Ms = m1.p99Ms;
    w.p99MedianMs = m1.p99MedianMs;
    w.threads = Object.fromEntries(Object.entries(cpuByThreadName(th0, th1, server.pid)).map(([k, v]) => [k, round((v * 1000) / Math.max(1, w.answered), 3)]));
    if (probe && probeS > 0) {
      probe.start();
      await sleep(probeS * 1000);
      probe.pause(); // its last rows are collected once the load has stopped and the sink caught up
      probing = true;
    }
  } catch (err) {
    w.error = (err as Error).message;
    log(`  ${server.kind} ${config} round ${roundNo}: FAILED ${w.error}`);
  }
  const fin = await gen.finish();
  if (perf && (w.error || !s0)) await stopChild(perf, 'SIGINT', 30_000);
  if (probing && probe && (w.error || !s0)) w.probe = await probe.stop(PROBE_WAIT_MS);
  w.positionsAnswered = fin.positions;
  w.positionsUnanswered = fin.unanswered;
  if (s0 && !w.error) {
    // All-in: from the window's start until fleetgate has stored everything it received (the sink's deferred
    // work included), per message answered from the window's start to the end of the load.
    const stopped = performance.now();
    if (server.kind === 'fleetgate') w.catchupS = round((await caughtUp(server)) / 1000, 1);
    const s2 = sampleProc(server.pid)!;
    if (perf) await stopChild(perf, 'SIGINT', 30_000);
    if (probing && probe) w.probe = await probe.stop(PROBE_WAIT_MS);
    const n = fin.answeredTotal - m0answered;
    w.allInAnswered = n;
    w.allInCpuUsPerMsg = round(((s2.cpuMs - s0.cpuMs) * 1000) / Math.max(1, n), 3);
    w.sustainedMsgsPerS = round(n / ((s2.at - s0.at) / 1000), 0);
    w.loadS = round((stopped - s0.at) / 1000, 1);
  }
  if (!w.error) {
    log(
      `${elapsed().padStart(5)} ${server.kind.padEnd(9)} ${config.padEnd(22)} r${roundNo}: ${int(w.msgsPerS).padStart(7)} msg/s ` +
        `${fixed(w.cpuUsPerMsg, 2).padStart(6)} µs/msg  server ${fixed(w.serverCores, 2)} cores, load gen ${fixed(w.simCores, 2)}, machine ${fixed(w.machineBusy * 100, 0)}%  ` +
        `p50 ${w.p50Ms} p99 ${w.p99Ms} ms  setup ${w.setupS}s  all-in ${fixed(w.allInCpuUsPerMsg, 2)} µs/msg ${int(w.sustainedMsgsPerS)} msg/s` +
        (w.catchupS !== undefined ? ` (sink caught up ${w.catchupS}s after the load)` : '') +
        (w.probe ? `  queryable p50 ${int(median(w.probe.queryableMs))} max ${int(max(w.probe.queryableMs))} ms (${w.probe.seen}/${w.probe.answered})` : ''),
    );
  }
  const cfg = `${server.kind} ${config} measure=${measureS}s`;
  csv.row(cfg, 'msgs/s', round(w.msgsPerS, 0));
  csv.row(cfg, 'cpu_us/msg', round(w.cpuUsPerMsg, 3));
  csv.row(cfg, 'all_in_cpu_us/msg', w.allInCpuUsPerMsg);
  csv.row(cfg, 'sustained_msgs/s', w.sustainedMsgsPerS);
  csv.row(cfg, 'p50_ms', w.p50Ms);
  csv.row(cfg, 'p99_ms', w.p99Ms);
  if (w.probe) csv.row(cfg, 'queryable_p99_ms', round(quantile(w.probe.queryableMs, 0.99), 0));
  return w;
}

const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Waits until fleetgate's sink has inserted as many positions as the gateway received 0x0200 frames
 * (/metrics: fleetgate_sink_rows_inserted_total{table="positions"} vs fleetgate_frames_total{msg_id="0x0200"}),
 * at most CATCHUP_MAX_S; returns the time waited, ms.
 */
async function caughtUp(server: Server): Promise<number> {
  const t = performance.now();
  while (performance.now() - t < CATCHUP_MAX_S * 1000) {
    const mx = await scrape(server).catch(() => new Map<string, number>());
    const received = mx.get('fleetgate_frames_total{msg_id="0x0200"}') ?? 0;
    const stored = mx.get('fleetgate_sink_rows_inserted_total{table="positions"}') ?? -1;
    if (stored >= received) break;
    await sleep(250);
  }
  return performance.now() - t;
}

function round1(x: number): number {
  return round(x, 1);
}

// ---- the run ------------------------------------------------------------------------------------

interface ConfigResult {
  config: string;
  terminals: number;
  inFlight: number;
  fleetgate: Summary;
  baseline: Summary;
  /** fleetgate / baseline CPU µs per message in the window, per round (paired drives), and their median. */
  ratios: number[];
  ratioMedian: number;
  /** The same with all-in CPU (fleetgate until its sink caught up). */
  allInRatios: number[];
  allInRatioMedian: number;
}

interface Summary {
  rounds: number;
  msgsPerS: number;
  cpuUsPerMsg: number;
  p50Ms: number;
  p99Ms: number;
  serverCores: number;
  simCores: number;
  machineBusy: number;
  allInCpuUsPerMsg: number;
  sustainedMsgsPerS: number;
  catchupS?: number;
  queryableP50Ms?: number;
  queryableP99Ms?: number;
  queryableSamples?: number;
}

function pairRatios(f: readonly Window[], b: readonly Window[], pick: (w: Window) => number): number[] {
  return f.map((x, i) => (x.error || b[i]?.error ? NaN : pick(x) / pick(b[i]))).filter((x) => Number.isFinite(x)).map((x) => round(x, 3));
}

function summarize(ws: Window[]): Summary {
  const ok = ws.filter((w) => !w.error);
  const q = ok.flatMap((w) => w.probe?.queryableMs ?? []);
  const s: Summary = {
    rounds: ok.length,
    msgsPerS: round(median(ok.map((w) => w.msgsPerS)), 0),
    cpuUsPerMsg: round(median(ok.map((w) => w.cpuUsPerMsg)), 2),
    p50Ms: round(median(ok.map((w) => w.p50Ms)), 1),
    p99Ms: round(median(ok.map((w) => w.p99Ms)), 1),
    serverCores: round(median(ok.map((w) => w.serverCores)), 2),
    simCores: round(median(ok.map((w) => w.simCores)), 2),
    machineBusy: round(median(ok.map((w) => w.machineBusy)), 2),
    allInCpuUsPerMsg: round(median(ok.map((w) => w.allInCpuUsPerMsg)), 2),
    sustainedMsgsPerS: round(median(ok.map((w) => w.sustainedMsgsPerS)), 0),
  };
  if (ok.some((w) => w.catchupS !== undefined)) s.catchupS = round(median(ok.map((w) => w.catchupS ?? NaN)), 1);
  if (q.length) {
    s.queryableP50Ms = round(median(q), 0);
    s.queryableP99Ms = round(quantile(q, 0.99), 0);
    s.queryableSamples = q.length;
  }
  return s;
}

interface RowsCheck {
  drives: { drive: number; config: string; round: number; answered: number; stored: number; distinct: number; ok: boolean }[];
  probe: { answered: number; stored: number };
  allOk: boolean;
  storage?: { asIngested: Storage; merged: Storage };
  error?: string;
}
interface Storage {
  rows: number;
  compressed: number;
  onDisk: number;
  parts: number;
}

async function countRows(dataDir: string): Promise<{ groups: Record<string, { rows: number; distinct: number }>; storage: { asIngested: Storage; merged: Storage } }> {
  const child = spawnTs('bench/lib/count-rows.ts', [dataDir, String(GROUP)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const err = new Tail(20);
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (out += d));
  lines(child.stderr, err.push);
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const code = await exited(child);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`count-rows exited with ${code}: ${err}`);
  return JSON.parse(out);
}

async function main(): Promise<void> {
  log(machineLine(m));
  log(`ingest: rounds ${ROUNDS}, sizes ${SIZES.join('/')}, in flight ${WINDOWS.join('/')}, window ${MEASURE_S}s, probe ${PROBE_S}s, half-rate ${HALF_RATE_S}s, ack ${a.ack}`);
  const profDir = join(OUT_DIR, `prof-${m.date.replace(/[:.]/g, '-').slice(0, 19)}`);
  if (a.profile) mkdirSync(profDir, { recursive: true });
  const profArgs = (name: string): string[] => [...(a.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, name)}`] : []), ...(PERF ? PERF_NODE_ARGS : [])];
  if (a.perf && !PERF) log('perf is not available here: --perf ignored');
  if (PERF) {
    rmSync(PERF_DIR, { recursive: true, force: true });
    mkdirSync(PERF_DIR, { recursive: true });
  }
  const env: Record<string, string> = { ACK: a.ack! };
  if (a['decode-threads'] !== undefined) env.DECODE_THREADS = a['decode-threads'];
  // Any other fleetgate setting: --fg-env BATCH_MS=500,SPOOL_FSYNC_MS=1 (FLEETGATE_ prefix implied).
  for (const kv of (a['fg-env'] ?? '').split(',').filter(Boolean)) {
    const [k, ...v] = kv.split('=');
    env[k.replace(/^FLEETGATE_/, '')] = v.join('=');
  }
  const fg = await startFleetgate({ env, keepData: true, nodeArgs: profArgs('fleetgate'), dir: a['fleetgate-dir'] });
  const bl = await startBaseline(profArgs('baseline'));
  log(`${elapsed()} fleetgate pid ${fg.pid} (jt808 ${fg.port}, http ${fg.httpPort}, data ${fg.dataDir}); baseline pid ${bl.pid} (port ${bl.port})`);
  const probe = new Probe({ port: fg.port, httpPort: fg.httpPort!, intervalMs: 200, pollMs: 50 });
  await probe.open();

  const windows: Window[] = [];
  const configs: ConfigResult[] = [];
  let half: { rate: number; perTerminal: number; fleetgate: Window[]; baseline: Window[] } | undefined;
  let rows: RowsCheck | undefined;
  let profiles: Record<string, ProfileSummary> | undefined;
  let heapTrims: { count: number; pauseMs: number } | undefined;
  let perfs: Record<string, Partial<Record<'fleetgate' | 'baseline', PerfSummary>>> | undefined;
  try {
    for (const terminals of SIZES) {
      for (const inFlight of WINDOWS) {
        const fw: Window[] = [];
        const bw: Window[] = [];
        for (let r = 1; r <= ROUNDS; r++) {
          fw.push(await drive(fg, terminals, inFlight, 0, r, r <= PROBE_ROUNDS ? probe : null));
          bw.push(await drive(bl, terminals, inFlight, 0, r, null));
        }
        windows.push(...fw, ...bw);
        const ratios = pairRatios(fw, bw, (w) => w.cpuUsPerMsg);
        const allIn = pairRatios(fw, bw, (w) => w.allInCpuUsPerMsg);
        configs.push({
          config: `${int(terminals)} conn × ${inFlight}`, terminals, inFlight, fleetgate: summarize(fw), baseline: summarize(bw),
          ratios, ratioMedian: round(median(ratios), 2), allInRatios: allIn, allInRatioMedian: round(median(allIn), 2),
        });
        const c = configs.at(-1)!;
        log(`  → ${c.config}: fleetgate/baseline CPU per message: window ${c.ratioMedian} (${c.ratios.join(', ')}), all-in ${c.allInRatioMedian} (${c.allInRatios.join(', ')})`);
      }
    }

    if (HALF_RATE_S > 0) {
      // The most fleetgate sustained (all-in: its sink caught up) with the traffic shape of the open loop: the
      // largest fleet, one message per read (1 in flight); the highest closed-loop figure if that was not run.
      const shape = configs.filter((c) => c.terminals === Math.max(...SIZES) && c.inFlight === Math.min(...WINDOWS));
      const best = max((shape.length ? shape : configs).map((c) => c.fleetgate.sustainedMsgsPerS));
      const rate = a['half-rate-msgs'] ? Number(a['half-rate-msgs']) : Math.round(best / 2);
      const perTerminal = round(rate / HALF_RATE_TERMINALS, 3);
      log(`${elapsed()} open loop at half the rate fleetgate sustained (all-in) at ${int(shape[0]?.terminals ?? 0)} connections × ${shape[0]?.inFlight ?? '?'}: ${int(rate)} msg/s offered (${perTerminal}/s × ${int(HALF_RATE_TERMINALS)} terminals)`);
      half = { rate, perTerminal, fleetgate: [], baseline: [] };
      for (let r = 1; r <= HALF_ROUNDS; r++) {
        half.fleetgate.push(await drive(fg, HALF_RATE_TERMINALS, 'open', perTerminal, r, probe, HALF_RATE_S, Math.max(PROBE_S, 4)));
        half.baseline.push(await drive(bl, HALF_RATE_TERMINALS, 'open', perTerminal, r, null, HALF_RATE_S));
      }
      windows.push(...half.fleetgate, ...half.baseline);
    }

    // Rows stored = positions answered: once the sink has caught up, stop fleetgate (it checkpoints), then count.
    probe.close();
    await caughtUp(fg);
    const metrics = await scrape(fg).catch(() => new Map<string, number>());
    probe.close();
    // Full collections the gateway asked for after connection storms (src/heap-trim.ts): each a pause inside the run.
    heapTrims = { count: metrics.get('fleetgate_heap_trim_seconds_count') ?? NaN, pauseMs: Math.round((metrics.get('fleetgate_heap_trim_seconds_sum') ?? NaN) * 1000) };
    log(`${elapsed()} heap trims (full collections after connection storms, start-up included): ${heapTrims.count}, ${heapTrims.pauseMs} ms of pauses in all`);
    log(`${elapsed()} stopping fleetgate (sink drains), then counting rows`);
    await fg.stop(60_000);
    await bl.stop();
    try {
      const counted = await countRows(fg.dataDir!);
      const drives = windows
        .filter((w) => w.server === 'fleetgate')
        .map((w) => {
          const g = counted.groups[String(Math.floor((FIRST_ID + w.drive * GROUP) / GROUP))] ?? { rows: 0, distinct: 0 };
          return { drive: w.drive, config: w.config, round: w.round, answered: w.positionsAnswered, stored: g.rows, distinct: g.distinct, ok: g.distinct === w.positionsAnswered && g.rows >= w.positionsAnswered };
        });
      const pg = counted.groups[String(Math.floor(Number(probe.id) / GROUP))] ?? { rows: 0, distinct: 0 };
      rows = {
        drives,
        probe: { answered: probe.answeredTotal, stored: pg.distinct },
        allOk: drives.every((d) => d.ok) && pg.distinct === probe.answeredTotal,
        storage: counted.storage,
      };
      const sinkRows = metrics.get('fleetgate_sink_rows_inserted_total{table="positions"}');
      log(`rows stored = positions answered: ${rows.allOk ? 'yes' : 'NO'} (${drives.reduce((s, d) => s + d.distinct, 0)} stored, ${drives.reduce((s, d) => s + d.answered, 0)} answered` +
        `${sinkRows !== undefined ? `; /metrics sink rows ${sinkRows}` : ''})`);
    } catch (err) {
      rows = { drives: [], probe: { answered: probe.answeredTotal, stored: 0 }, allOk: false, error: (err as Error).message };
      log(`row count failed: ${rows.error}`);
    }
    if (a.profile) profiles = summarizeAll(profDir, windows);
    if (PERF) perfs = summarizePerf(windows, { fleetgate: fg.pid, baseline: bl.pid });
  } finally {
    probe.close();
    await fg.stop(30_000).catch(() => undefined);
    await bl.stop().catch(() => undefined);
    // The data dir was kept past the stop to count its rows; `--keep-data` keeps it for a look afterwards.
    if (a['keep-data']) log(`fleetgate's data dir kept: ${fg.dataDir}`);
    else rmSync(fg.dataDir!, { recursive: true, force: true });
  }

  const loadEnd = load();
  const result = {
    bench: 'ingest', machine: m, loadavgEnd: loadEnd,
    settings: { rounds: ROUNDS, sizes: SIZES, inFlight: WINDOWS, measureS: MEASURE_S, probeS: PROBE_S, halfRateS: HALF_RATE_S, ack: a.ack, decodeThreads: a['decode-threads'] ?? 'default', fleetgateEnv: env, fleetgateDir: a['fleetgate-dir'] ?? '.' },
    configs,
    half: half && {
      rate: half.rate, perTerminal: half.perTerminal, fleetgate: summarize(half.fleetgate), baseline: summarize(half.baseline),
      ratio: round(median(pairRatios(half.fleetgate, half.baseline, (w) => w.cpuUsPerMsg)), 2),
      allInRatio: round(median(pairRatios(half.fleetgate, half.baseline, (w) => w.allInCpuUsPerMsg)), 2),
    },
    rows, heapTrims, profiles, perf: perfs, windows, wallS: round((performance.now() - t0) / 1000, 0),
  };
  writeJson('ingest', result);
  process.stdout.write(JSON.stringify({ ...result, windows: undefined }, null, 2) + '\n');
  if (a.write) writeSection(a.section ?? (SHORT ? 'Ingest (short run)' : 'Ingest'), markdown(result, loadEnd));
}

/** `--perf`: per configuration and server, the windows' perf data in µs per answered message. */
function summarizePerf(windows: readonly Window[], pids: Record<'fleetgate' | 'baseline', number>): Record<string, Partial<Record<'fleetgate' | 'baseline', PerfSummary>>> {
  const out: Record<string, Partial<Record<'fleetgate' | 'baseline', PerfSummary>>> = {};
  for (const w of windows) out[w.config] ??= {};
  for (const config of Object.keys(out)) {
    for (const server of ['fleetgate', 'baseline'] as const) {
      const ws = windows.filter((w) => w.config === config && w.server === server && w.perfFile && !w.error);
      if (ws.length === 0) continue;
      try {
        out[config][server] = perfSummarize(ws.map((w) => w.perfFile!), pids[server], ws.reduce((n, w) => n + (w.allInAnswered ?? 0), 0));
      } catch (err) {
        log(`perf report failed for ${server} ${config}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}

/** Per server and thread (profile file; `.0.` in the name is the main thread), samples inside its windows only. */
function summarizeAll(dir: string, windows: readonly Window[]): Record<string, ProfileSummary> {
  const out: Record<string, ProfileSummary> = {};
  for (const name of ['fleetgate', 'baseline'] as const) {
    const ranges = windows.filter((w) => w.server === name && !w.error).map((w) => w.monoUs);
    let files: string[] = [];
    try {
      files = readdirSync(join(dir, name)).filter((f) => f.endsWith('.cpuprofile')).sort();
    } catch {
      continue; // no profile written
    }
    for (const f of files) {
      const thread = /\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(f)?.[1] ?? f;
      const sum = summarizeProfiles([join(dir, name, f)], 40, ranges);
      if (sum.busyMs > 0) out[`${name} thread ${thread}${thread === '0' ? ' (main)' : ''}`] = sum;
    }
  }
  return out;
}

type Result = {
  machine: Machine;
  settings: Record<string, unknown>;
  configs: ConfigResult[];
  half?: { rate: number; perTerminal: number; fleetgate: Summary; baseline: Summary; ratio: number; allInRatio: number };
  rows?: RowsCheck;
  perf?: Record<string, Partial<Record<'fleetgate' | 'baseline', PerfSummary>>>;
  wallS: number;
};

const latency = (x: Summary): string => `${fixed(x.p50Ms, 1)} / ${fixed(x.p99Ms, 1)}`;
const queryable = (x: Summary): string => (x.queryableP99Ms !== undefined ? `${int(x.queryableP50Ms!)} / ${int(x.queryableP99Ms)} (n=${x.queryableSamples})` : '–');

function markdown(r: Result, loadEnd: [number, number, number]): string {
  const cmd = `npx tsx bench/ingest.ts${process.argv.slice(2).map((x) => ` ${x}`).join('')}`;
  const out: string[] = [
    `End to end, fleetgate (embedded ClickHouse, ${Object.entries(r.settings.fleetgateEnv as Record<string, string>).map(([k, v]) => `FLEETGATE_${k}=${v}`).join(', ')}, defaults otherwise) against the bare \`node:net\` answer-only server`,
    '(`bench/baseline.ts`), both started once and driven in turn (A B A B…) by a load generator in a third process',
    '(`bench/lib/loader.ts`: every terminal online before the load starts, then 1 or 8 reports in flight per terminal, closed loop).',
    'CPU = utime + stime of all the server\'s threads (/proc/<pid>/stat). **Window**: a steady-state window after 1 s of load, per message',
    'answered in it. **All-in**: from the window\'s start until fleetgate\'s sink has inserted every position it received (the load goes on',
    `for the ${PROBE_S} s queryable probe, then stops), per message answered from the window's start — fleetgate's deferred storage work`,
    'included; "sustained" is that message count over that time. Latency: the load generator\'s exact p50/p99 in the window. Queryable:',
    'answer → first API track poll (every 50 ms) that shows a probe terminal\'s position (5 reports/s, sent after the window under the',
    `same load in the first ${PROBE_ROUNDS} round(s) of each configuration; rows that show only after the load stopped still count, up to ${PROBE_WAIT_MS / 1000} s).`,
    `Medians of ${String(r.settings.rounds)} round(s); ratios are medians of per-round ratios of paired drives.`,
    '',
    `Command: \`${cmd}\` (${r.wallS} s).`,
    '',
    machineLine(r.machine, loadEnd),
    '',
    table(
      ['connections × in flight', 'server', 'msg/s (window)', 'CPU µs/msg (window)', 'all-in µs/msg', 'sustained msg/s', 'p50 / p99 ms', 'queryable p50 / p99 ms', '**ratio fg/bl** window · all-in'],
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      r.configs.flatMap((c) => [
        [c.config, 'fleetgate', int(c.fleetgate.msgsPerS), fixed(c.fleetgate.cpuUsPerMsg, 2), fixed(c.fleetgate.allInCpuUsPerMsg, 2), int(c.fleetgate.sustainedMsgsPerS),
          latency(c.fleetgate), queryable(c.fleetgate), `**${fixed(c.ratioMedian, 2)} · ${fixed(c.allInRatioMedian, 2)}**`],
        ['', 'baseline', int(c.baseline.msgsPerS), fixed(c.baseline.cpuUsPerMsg, 2), fixed(c.baseline.allInCpuUsPerMsg, 2), int(c.baseline.sustainedMsgsPerS),
          latency(c.baseline), '', `(${c.ratios.map((x) => fixed(x, 2)).join(', ')} · ${c.allInRatios.map((x) => fixed(x, 2)).join(', ')})`],
      ]),
    ),
  ];
  if (r.half) {
    const h = r.half;
    out.push(
      '',
      `Open loop at half the rate fleetgate sustained above (all-in) with ${int(Math.max(...SIZES))} connections × ${Math.min(...WINDOWS)} in flight (one message per read, ` +
        `as in open loop): ${int(h.rate)} msg/s offered by ${int(HALF_RATE_TERMINALS)} terminals ` +
        `(${h.perTerminal}/s each, at most ${OPEN_WINDOW} in flight), window ${HALF_RATE_S} s:`,
      '',
      table(
        ['server', 'answered msg/s', 'CPU µs/msg (window)', 'all-in µs/msg', 'p50 / p99 ms', 'queryable p50 / p99 ms', 'ratio fg/bl window · all-in'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
        [
          ['fleetgate', int(h.fleetgate.msgsPerS), fixed(h.fleetgate.cpuUsPerMsg, 2), fixed(h.fleetgate.allInCpuUsPerMsg, 2), latency(h.fleetgate), queryable(h.fleetgate), `${fixed(h.ratio, 2)} · ${fixed(h.allInRatio, 2)}`],
          ['baseline', int(h.baseline.msgsPerS), fixed(h.baseline.cpuUsPerMsg, 2), fixed(h.baseline.allInCpuUsPerMsg, 2), latency(h.baseline), '', ''],
        ],
      ),
    );
  }
  if (r.rows) {
    const d = r.rows.drives;
    const stored = d.reduce((n, x) => n + x.distinct, 0);
    const answered = d.reduce((n, x) => n + x.answered, 0);
    out.push('', r.rows.error
      ? `Rows stored = positions answered: not checked (${r.rows.error}).`
      : `Rows stored = positions answered: **${r.rows.allOk ? 'yes' : 'NO'}** — ${int(stored)} distinct (terminal, second) rows for ${int(answered)} positions answered in ${d.length} fleetgate drives` +
        ` (${d.filter((x) => !x.ok).length} drives differ; probe ${r.rows.probe.stored}/${r.rows.probe.answered}), counted in the data dir after a graceful stop.`);
    const st = r.rows.storage;
    if (st && st.merged.rows > 0) {
      out.push(`Storage of these rows (synthetic reports, 1 s apart per terminal): ${fixed(st.merged.compressed / st.merged.rows, 2)} compressed bytes per row after OPTIMIZE FINAL` +
        ` (${fixed(st.asIngested.compressed / Math.max(1, st.asIngested.rows), 2)} as ingested in ${st.asIngested.parts} parts); bench/store.ts measures the realistic fleet.`);
    }
  }
  const perfCfgs = Object.entries(r.perf ?? {}).filter(([, v]) => v.fleetgate && v.baseline);
  for (const [config, v] of perfCfgs) {
    const f = v.fleetgate!;
    const b = v.baseline!;
    const cats = [...new Set([...Object.keys(f.all), ...Object.keys(b.all)])]
      .map((k) => ({ k, f: f.all[k] ?? 0, b: b.all[k] ?? 0 }))
      .filter((x) => x.f >= 0.1 || x.b >= 0.1)
      .sort((x, y) => y.f - y.b - (x.f - x.b));
    const sum = (o: Record<string, number>): number => Object.values(o).reduce((n, x) => n + x, 0);
    out.push(
      '',
      `perf (all threads, cpu-clock at 999 Hz, from each window's start to the all-in end) at ${config}, µs of CPU per answered message — by thread: fleetgate ` +
        Object.entries(f.threads).map(([k, x]) => `${k} ${fixed(x, 2)}`).join(', ') + `; baseline ` + Object.entries(b.threads).map(([k, x]) => `${k} ${fixed(x, 2)}`).join(', ') + '.',
      '',
      table(['category', 'fleetgate', 'baseline', 'difference'], ['l', 'r', 'r', 'r'], [
        ...cats.map((x) => [x.k, fixed(x.f, 2), fixed(x.b, 2), fixed(x.f - x.b, 2)]),
        ['**total**', `**${fixed(sum(f.all), 2)}**`, `**${fixed(sum(b.all), 2)}**`, `**${fixed(sum(f.all) - sum(b.all), 2)}**`],
      ]),
    );
  }
  out.push(
    '',
    'Targets: CPU ratio ≤ 1.5 at 1,000 connections × 1 in flight, ≤ 2.5 at × 8; answer p99 ≤ 25 ms at half the maximum sustained rate;',
    'queryable p99 ≤ 2 s. What the profiles show and what to change: "Ingest and connections: profiles and findings" below.',
    '',
  );
  return out.join('\n');
}

await main();
