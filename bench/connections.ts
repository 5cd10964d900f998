/**
 * Idle connections (issue #7): what one held terminal costs in memory, and how fast heartbeats are answered
 * while many are held.
 *
 *   npx tsx bench/connections.ts [--write]               # N = 1,000, 10,000 and the most the file limit allows
 *   npx tsx bench/connections.ts --short                 # N = 2,000, fleetgate only, short hold (npm run bench)
 *   npx tsx bench/connections.ts --sizes 1000,max --hold 30 --heartbeat 10 --no-baseline
 *
 * For each N, a fresh server process (fleetgate: embedded ClickHouse, defaults; then the bare baseline for
 * reference) settles for a few seconds and its RSS is read (/proc/<pid>/status VmRSS, median of 3 readings),
 * then several simulator processes (`--sims`, each with its own 127.0.1.x source addresses: one process may
 * hold only `ulimit -n` sockets) connect, register and authenticate N terminals that send no reports
 * (`--interval 86400`) and a heartbeat (0x0002) after `--heartbeat` seconds of silence. Once all are online
 * they are held for `--hold` seconds: heartbeat answer latency from the simulators' 1-s percentiles, server
 * CPU. At the end of the hold RSS is read again: RSS per connection = (RSS held − RSS settled) / N, which
 * counts everything a connection makes the process keep (socket objects, session, buffers, registry entry,
 * heap growth), not kernel socket buffers. The largest N is the file limit minus what the gateway holds idle
 * (data files, listeners) minus a margin, rounded down to 1,000 (`max`).
 *
 * Figures: JSON on stdout and bench/out/connections.json, CSV rows in bench/out/connections.csv, `--write`
 * replaces the "Connections" section of bench/RESULTS.md.
 */
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { load, machine, machineLine, type Machine } from './lib/machine.js';
import { rssOf, sampleProc } from './lib/proc.js';
import { CsvOut, table, writeJson, writeSection } from './lib/record.js';
import { scrape, startBaseline, startFleetgate, type Server } from './lib/servers.js';
import { Sim } from './lib/sim.js';
import { fixed, int, max, median, round, sleep } from './lib/stats.js';

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string' },
    hold: { type: 'string' },
    heartbeat: { type: 'string' },
    sims: { type: 'string' },
    ramp: { type: 'string' },
    short: { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: true },
    'no-baseline': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    'fleetgate-dir': { type: 'string' },
  },
});
const SHORT = a.short;
const HOLD_S = Number(a.hold ?? (SHORT ? 5 : 20));
const HEARTBEAT_S = Number(a.heartbeat ?? (SHORT ? 2 : 10));
const SIMS = Number(a.sims ?? 4);
const RAMP = Number(a.ramp ?? 4000);
const WITH_BASELINE = a.baseline && !a['no-baseline'] && !SHORT;
const FD_MARGIN = 300;

const m: Machine = machine();
const csv = new CsvOut('connections', m);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)}s`;

interface Held {
  server: 'fleetgate' | 'baseline';
  n: number;
  online: number;
  setupS: number;
  rssSettledMiB: number;
  rssHeldMiB: number;
  /** (held − settled) / N, bytes. */
  rssPerConnBytes: number;
  /**
   * fleetgate only, from its /metrics at the same two points: V8 heap used and committed per connection, and the
   * rest of RSS (native: libuv and TCP handles, malloc, the engine). What the RSS figure is made of.
   */
  heapUsedPerConnBytes?: number;
  heapTotalPerConnBytes?: number;
  /** Committed bytes per connection by V8 heap space, e.g. "old 1,900 · new 1,100". */
  heapSpacesPerConn?: string;
  /** fleetgate: full collections it asked for by the end of the hold (start-up included), and their pauses in all. */
  heapTrims?: number;
  heapTrimPauseMs?: number;
  outsideHeapPerConnBytes?: number;
  heartbeatsPerS: number;
  /** Highest and median of the simulators' 1-s p99 during the hold, ms. */
  heartbeatP99Ms: number;
  heartbeatP99MedianMs: number;
  heartbeatP50Ms: number;
  /** Server CPU while holding, share of one core. */
  serverCores: number;
  /** Server CPU per answered heartbeat, µs. */
  cpuUsPerHeartbeat: number;
  /** fleetgate_connections at the end of the hold. */
  gatewayConnections?: number;
  fds: number;
  loadavg: number;
  error?: string;
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The gateway's own memory gauges (prom-client's default metrics), bytes; empty for a server without /metrics. */
interface MemoryGauges {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  /** Committed bytes per V8 heap space (new, old, code, large_object, …). */
  spaces: Map<string, number>;
}

async function memoryGauges(server: Server): Promise<MemoryGauges | undefined> {
  if (!server.httpPort) return undefined;
  const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const gauge = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const spaces = new Map<string, number>();
  for (const [, space, bytes] of text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm)) spaces.set(space!, Number(bytes));
  return { heapUsed: gauge('nodejs_heap_size_used_bytes'), heapTotal: gauge('nodejs_heap_size_total_bytes'), rss: gauge('process_resident_memory_bytes'), spaces };
}

/** Per-connection growth of each heap space's committed size, largest first, e.g. "old 1,900 · new 1,100". */
function spaceGrowth(m0: MemoryGauges, m1: MemoryGauges, n: number): string {
  return [...m1.spaces]
    .map(([space, bytes]) => [space, Math.round((bytes - (m0.spaces.get(space) ?? 0)) / n)] as const)
    .filter(([, perConn]) => perConn !== 0)
    .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
    .map(([space, perConn]) => `${space} ${int(perConn)}`)
    .join(' · ');
}

async function settledRss(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(1000);
    xs.push(rssOf(pid) ?? NaN);
  }
  return median(xs);
}

async function hold(kind: 'fleetgate' | 'baseline', n: number): Promise<Held> {
  const server: Server = kind === 'fleetgate' ? await startFleetgate({ env: { MAX_CONNECTIONS: String(n + 100), HEARTBEAT_S: String(HEARTBEAT_S) }, dir: a['fleetgate-dir'] }) : await startBaseline();
  const h: Held = {
    server: kind, n, online: 0, setupS: NaN, rssSettledMiB: NaN, rssHeldMiB: NaN, rssPerConnBytes: NaN, heartbeatsPerS: NaN, heartbeatP99Ms: NaN,
    heartbeatP99MedianMs: NaN, heartbeatP50Ms: NaN, serverCores: NaN, cpuUsPerHeartbeat: NaN, fds: 0, loadavg: load()[0],
  };
  const sims: Sim[] = [];
  try {
    await sleep(2000);
    const rss0 = await settledRss(server.pid);
    const mem0 = await memoryGauges(server);
    h.rssSettledMiB = round(rss0 / 2 ** 20, 1);
    const k = Math.max(1, Math.min(SIMS, Math.ceil(n / 4000)));
    const started = performance.now();
    for (let i = 0; i < k; i++) {
      const count = Math.floor(n / k) + (i < n % k ? 1 : 0);
      sims.push(new Sim({
        port: server.port, terminals: count, window: 1, firstId: 15_000_000_000 + n * 10 + i * 1_000_000, durationS: 3600,
        heartbeatS: HEARTBEAT_S, ramp: Math.ceil(RAMP / k), drainS: 1, sourceIps: `127.0.1.${1 + i * 4}-127.0.1.${4 + i * 4}`,
        extra: ['--interval', '86400'],
      }));
    }
    const ready = await Promise.all(sims.map((s) => s.next((p) => p.online >= s.o.terminals, 180_000)));
    h.online = sims.reduce((s, x) => s + (x.progress.at(-1)?.online ?? 0), 0);
    if (ready.some((r) => r === undefined)) throw new Error(`only ${h.online}/${n} terminals online after 180 s`);
    h.setupS = round((Math.max(...ready.map((r) => r!.at)) - started) / 1000, 1);
    // Registration garbage and the first heartbeats pass; then the hold.
    await sleep(2000);
    const c0 = sampleProc(server.pid)!;
    const from = performance.now();
    const answered0 = sims.reduce((s, x) => s + (x.progress.at(-1)?.answered ?? 0), 0);
    await sleep(HOLD_S * 1000);
    const c1 = sampleProc(server.pid)!;
    const answered1 = sims.reduce((s, x) => s + (x.progress.at(-1)?.answered ?? 0), 0);
    const lines = sims.flatMap((s) => s.progress.filter((p) => p.at > from));
    const rss1 = rssOf(server.pid) ?? NaN;
    const mem1 = await memoryGauges(server);
    if (mem0 && mem1) {
      h.heapUsedPerConnBytes = Math.round((mem1.heapUsed - mem0.heapUsed) / n);
      h.heapTotalPerConnBytes = Math.round((mem1.heapTotal - mem0.heapTotal) / n);
      h.outsideHeapPerConnBytes = Math.round((mem1.rss - mem1.heapTotal - (mem0.rss - mem0.heapTotal)) / n);
      h.heapSpacesPerConn = spaceGrowth(mem0, mem1, n);
    }
    h.fds = fdCount(server.pid);
    h.rssHeldMiB = round(rss1 / 2 ** 20, 1);
    h.rssPerConnBytes = Math.round((rss1 - rss0) / n);
    const beats = answered1 - answered0;
    h.heartbeatsPerS = round(beats / ((c1.at - c0.at) / 1000), 0);
    const active = lines.filter((p) => p.answeredPerS > 0);
    h.heartbeatP99Ms = max(active.map((p) => p.p99Ms));
    h.heartbeatP99MedianMs = round(median(active.map((p) => p.p99Ms)), 2);
    h.heartbeatP50Ms = round(median(active.map((p) => p.p50Ms)), 2);
    h.serverCores = round((c1.cpuMs - c0.cpuMs) / (c1.at - c0.at), 3);
    h.cpuUsPerHeartbeat = round(((c1.cpuMs - c0.cpuMs) * 1000) / Math.max(1, beats), 1);
    if (kind === 'fleetgate') {
      const mx = await scrape(server).catch(() => new Map<string, number>());
      h.gatewayConnections = mx.get('fleetgate_connections');
      // The full collections the gateway asked for (start-up, then after the connect storm): README "Memory per connection".
      h.heapTrims = mx.get('fleetgate_heap_trim_seconds_count');
      h.heapTrimPauseMs = Math.round((mx.get('fleetgate_heap_trim_seconds_sum') ?? NaN) * 1000);
    }
  } catch (err) {
    h.error = (err as Error).message;
  } finally {
    await Promise.all(sims.map((s) => s.interrupt(30_000)));
    await server.stop(30_000);
  }
  log(
    `${elapsed().padStart(5)} ${kind.padEnd(9)} N=${int(n).padStart(6)}: ` +
      (h.error
        ? `FAILED ${h.error}`
        : `RSS ${h.rssSettledMiB} → ${h.rssHeldMiB} MiB = ${int(h.rssPerConnBytes)} B/conn${heapNote(h)}; heartbeats ${int(h.heartbeatsPerS)}/s p50 ${h.heartbeatP50Ms} p99 ${h.heartbeatP99Ms} ms; ` +
          `server ${fixed(h.serverCores, 2)} cores (${h.cpuUsPerHeartbeat} µs/heartbeat); setup ${h.setupS}s; fds ${h.fds}` +
          (h.heapTrims === undefined ? '' : `; heap trims ${h.heapTrims} (${h.heapTrimPauseMs} ms)`)),
  );
  const cfg = `${kind} N=${n} heartbeat=${HEARTBEAT_S}s hold=${HOLD_S}s`;
  csv.row(cfg, 'rss_bytes/conn', h.rssPerConnBytes);
  csv.row(cfg, 'heartbeat_p99_ms', h.heartbeatP99Ms);
  csv.row(cfg, 'cpu_us/heartbeat', h.cpuUsPerHeartbeat);
  return h;
}

/** The most connections the gateway can hold under this file limit: limit − its idle descriptors − margin. */
async function largestN(): Promise<{ n: number; idleFds: number }> {
  const fg = await startFleetgate({ dir: a['fleetgate-dir'] });
  await sleep(1000);
  const idleFds = fdCount(fg.pid);
  await fg.stop();
  return { n: Math.floor((m.nofile - idleFds - FD_MARGIN) / 1000) * 1000, idleFds };
}

async function main(): Promise<void> {
  log(machineLine(m));
  const { n: maxN, idleFds } = await largestN();
  const sizes = (a.sizes ?? (SHORT ? '2000' : '1000,10000,max')).split(',').map((s) => (s === 'max' ? maxN : Number(s)));
  log(`connections: N = ${sizes.map(int).join(', ')} (largest under the open-file limit ${m.nofile}: ${int(maxN)}; the gateway holds ${idleFds} descriptors idle), heartbeat ${HEARTBEAT_S}s, hold ${HOLD_S}s, ${SIMS} simulator processes at most`);
  const results: Held[] = [];
  for (const n of sizes) {
    results.push(await hold('fleetgate', n));
    if (WITH_BASELINE) results.push(await hold('baseline', n));
  }
  const loadEnd = load();
  const out = { bench: 'connections', machine: m, loadavgEnd: loadEnd, settings: { sizes, holdS: HOLD_S, heartbeatS: HEARTBEAT_S, sims: SIMS, maxN, idleFds }, results, wallS: round((performance.now() - t0) / 1000, 0) };
  writeJson('connections', out);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  if (a.write) writeSection(SHORT ? 'Connections (short run)' : 'Connections', markdown(results, maxN, idleFds, loadEnd, out.wallS));
}

function heapNote(h: Held): string {
  return h.heapUsedPerConnBytes === undefined
    ? ''
    : ` (V8 heap used ${int(h.heapUsedPerConnBytes)}, committed ${int(h.heapTotalPerConnBytes ?? NaN)} [${h.heapSpacesPerConn ?? ''}], outside the heap ${int(h.outsideHeapPerConnBytes ?? NaN)})`;
}

function markdown(rs: Held[], maxN: number, idleFds: number, loadEnd: [number, number, number], wallS: number): string {
  const args = process.argv.slice(2).filter((x) => x !== '--write').map((x) => ` ${x}`).join('');
  return [
    `Idle authenticated terminals held by one server process: no reports, a heartbeat after ${HEARTBEAT_S} s of silence, held ${HOLD_S} s once all`,
    `are online. RSS per connection = (VmRSS at the end of the hold − VmRSS of the settled server before any connection) / N. The largest N is`,
    `the open-file limit (${int(m.nofile)}, a hard limit here) minus the ${idleFds} descriptors the gateway holds idle minus ${FD_MARGIN}, rounded down: ${int(maxN)}.`,
    `Up to ${SIMS} simulator processes, each binding its own 127.0.1.x source addresses. Heartbeat latency: the simulators' 1-s p50/p99 during the hold (p99: highest).`,
    `For fleetgate, what the RSS growth is made of, per connection, from its own /metrics at the same two points: V8 heap used and committed (by heap space), and RSS outside the heap.`,
    `fleetgate collects its heap once at start-up and once 10 s after the connect storm (README "Memory per connection"): "heap trims" counts both by the end of the hold, with their pauses added up.`,
    '',
    `Command: \`npx tsx bench/connections.ts --write${args}\` (${wallS} s).`,
    '',
    machineLine(m, loadEnd),
    '',
    table(
      ['server', 'connections', 'RSS settled → held MiB', '**RSS per connection**', 'of it: V8 heap used · committed [by space] · outside, B', 'heap trims (pauses ms)', 'heartbeats/s', 'heartbeat p50 / p99 ms', 'server CPU (cores)', 'CPU µs/heartbeat', 'setup s'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rs.map((h) => h.error
        ? [h.server, int(h.n), `failed: ${h.error.split('\n')[0]}`, '', '', '', '', '', '', '', '']
        : [h.server, int(h.n), `${fixed(h.rssSettledMiB, 1)} → ${fixed(h.rssHeldMiB, 1)}`, `**${(h.rssPerConnBytes / 1024).toFixed(1)} KiB**`,
          h.heapUsedPerConnBytes === undefined ? '' : `${int(h.heapUsedPerConnBytes)} · ${int(h.heapTotalPerConnBytes ?? NaN)} [${h.heapSpacesPerConn ?? ''}] · ${int(h.outsideHeapPerConnBytes ?? NaN)}`,
          h.heapTrims === undefined ? '' : `${h.heapTrims} (${h.heapTrimPauseMs})`, int(h.heartbeatsPerS),
          `${fixed(h.heartbeatP50Ms, 1)} / ${fixed(h.heartbeatP99Ms, 1)}`, fixed(h.serverCores, 3), fixed(h.cpuUsPerHeartbeat, 1), fixed(h.setupS, 1)]),
    ),
    '',
    'Target: ≤ 4 KB RSS per held connection at the largest N.',
    '',
  ].join('\n');
}

await main();
