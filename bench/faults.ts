// Fault runs, long forms of test/e2e (issue #8: "nothing answered is ever lost"):
//
//   npx tsx bench/faults.ts [crash|outage|spool-limit|disk-full|all] [--write] [--seed N]
//   npx tsx bench/faults.ts report --write      (RESULTS.md again from bench/out/faults.json, nothing run)
//
// Each scenario plays a simulated fleet (`fleetgate-sim run --truth`) against the whole gateway process and
// counts against the ground truth: answered (positions answered with success), stored (distinct answered
// positions found in storage), lost (answered, not stored), duplicated (stored more than once, as read).
//
//   crash        embedded ClickHouse, 10 SIGKILLs at random moments, restart on the same data dir; verify via the API
//   outage       clickhouse-server 18.16 killed for 45 s under load, then started again; counted by SQL
//   spool-limit  ClickHouse down until the spool holds FLEETGATE_SPOOL_MAX_BYTES (16 MiB), paused 10 s, back
//   disk-full    the spool on a 64 MiB tmpfs filled by a ballast file (real ENOSPC) for 20 s, then freed
//
// outage and spool-limit need clickhouse-server, disk-full needs `mount -t tmpfs` (root); a scenario that cannot
// run says why and is skipped. `--write` puts the table in bench/RESULTS.md under "## Faults" (other sections
// kept) and the full results in bench/out/faults.json; scenarios not run keep their previous row. Exit 1 when
// anything answered was lost or duplicated.
import { execSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { findServer } from '../test/e2e/fixtures/clickhouse.js';
import {
  canMountTmpfs, crashScenario, diskFullScenario, outageScenario, spoolLimitScenario, type FaultResult,
} from '../test/e2e/fixtures/scenarios.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const OUT = fileURLToPath(new URL('./out/', import.meta.url));

const args = process.argv.slice(2);
const write = args.includes('--write');
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : undefined;
const which = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--seed') ?? 'all';
const NAMES = ['crash', 'outage', 'spool-limit', 'disk-full'] as const;
if (which !== 'all' && which !== 'report' && !(NAMES as readonly string[]).includes(which)) {
  process.stderr.write(`bench/faults.ts: unknown scenario "${which}" (${NAMES.join(', ')}, all; report rewrites RESULTS.md from bench/out/faults.json)\n`);
  process.exit(2);
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

type Run = { name: string; result?: FaultResult; skipped?: string; error?: string; machine?: string };

async function scenario(name: (typeof NAMES)[number]): Promise<Run> {
  log(`\n== ${name}`);
  const bin = findServer();
  try {
    switch (name) {
      case 'crash':
        return { name, result: await crashScenario({ load: { terminals: 200, rate: 1, durationS: 120 }, kills: 10, upMs: [3000, 9000], seed, log }) };
      case 'outage':
        if (typeof bin === 'string') return { name, skipped: bin };
        return { name, result: await outageScenario(bin, { load: { terminals: 500, rate: 2, durationS: 90 }, warmupS: 10, outageS: 45, log }) };
      case 'spool-limit':
        if (typeof bin === 'string') return { name, skipped: bin };
        return {
          name,
          result: await spoolLimitScenario(bin, { load: { terminals: 200, rate: 'max', window: 8, durationS: 60 }, spoolMaxBytes: 16 * 2 ** 20, holdS: 10, fillTimeoutS: 120, log }),
        };
      case 'disk-full': {
        const mount = canMountTmpfs();
        if (mount !== true) return { name, skipped: mount };
        return {
          name,
          result: await diskFullScenario({ load: { terminals: 100, rate: 10, durationS: 60 }, tmpfsBytes: 64 * 2 ** 20, headroomBytes: 1 << 20, holdS: 20, log }),
        };
      }
    }
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    return { name, error: (err as Error).message };
  }
}

function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = os.loadavg()[0].toFixed(1);
  let sha = 'unknown';
  try {
    sha = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    // not a checkout
  }
  return `${cpu}, ${os.cpus().length} cores, Node ${process.version}, load average ${load} at the end, commit ${sha} (+ working tree), ${new Date().toISOString().slice(0, 10)}`;
}

const n = (x: number | string | boolean | undefined): string => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x ?? ''));

/** The scenario's own figures, one cell. */
function figures(r: FaultResult): string {
  const x = r.extra;
  switch (r.scenario) {
    case 'crash':
      return `${n(x.kills)} kills, restart ${n(x.restartMsMean)} ms mean (max ${n(x.restartMsMax)}); ${n(r.sim.reconnects)} reconnects; ` +
        `trips ${n(x.tripsTruth)} finished (API lists ${n(x.tripsApi)}), ${n(x.tripCountMismatches)} terminals off; ignition missing ${n(x.ignitionMissing)}, ` +
        `unexpected ${n(x.ignitionUnexpected)}; ${n(x.truthKm)} km true, ${n(x.apiKm)} km API (${n(x.mileageMismatches)} off); verify ${x.verifyOk ? 'passed' : 'FAILED'}`;
    case 'outage':
      return `/ready 503 after ${n(x.notReadyAfterMs)} ms, 200 ${n(x.readyAgainAfterMs)} ms after the server was back; ${n(x.answeredDuringOutage)} answers during ` +
        `the outage (p99 ${n(r.sim.p99Ms)} ms over the run); backlog peak ${n(Math.round(Number(x.peakBacklogBytes) / 1024))} KiB, drained ${n(x.drainedAfterS)} s after; ` +
        `${n(x.copiesBeforeMerge)} copies before the final merge, 0 after`;
    case 'spool-limit':
      return `paused ${n(x.pausedSockets)}/${n(x.connections)} sockets ${n(x.filledAfterS)} s in, /ready ${n(x.readyWhilePaused)}; ${n(x.answersWhilePaused)} answers ` +
        `while paused; resumed ${n(x.resumedAfterMs)} ms after ClickHouse was back; max answer latency ${n(Math.round(r.sim.maxMs))} ms`;
    case 'disk-full':
      return `${x.errorCode} → ${n(x.pausedSockets)} sockets paused, /ready ${n(x.readyWhileFull)}; ${n(x.answersWhileFull)} answers while full, ` +
        `${n(x.refusedFrames)} frames refused (not answered); resumed ${n(x.resumedAfterMs)} ms after space returned; verify ${x.verifyOk ? 'passed' : 'FAILED'}`;
    default:
      return '';
  }
}

function table(runs: Run[]): string {
  const rows = runs.map((r) => {
    if (r.skipped) return `| ${r.name} | skipped: ${r.skipped} | | | | | |`;
    if (r.error || !r.result) return `| ${r.name} | FAILED: ${r.error ?? 'no result'} | | | | | |`;
    const x = r.result;
    return `| ${x.scenario} | ${x.config} | ${n(x.answered)} | ${n(x.stored)} | **${n(x.lost)}** | **${n(x.duplicated)}** | ${figures(x)}; ${n(x.wallS)} s |`;
  });
  return ['| scenario | load and fault | answered | stored | lost | duplicated | figures |', '|---|---|---:|---:|---:|---:|---|', ...rows].join('\n');
}

function section(runs: Run[]): string {
  return `## Faults

Issue #8: "nothing answered is ever lost". A simulated fleet (\`fleetgate-sim run --truth\`) against the whole gateway
process (\`node --import tsx src/main.ts\`, durable answers), one fault per scenario, counted against the ground truth:
*answered* = positions the gateway answered with success, *stored* = distinct answered positions found in storage
(through the API with \`fleetgate-sim verify\` on the embedded engine; by SQL on clickhouse-server 18.16, which has no
window functions for trips and mileage), *lost* = answered but not stored, *duplicated* = stored twice as read (on the
server: copies left after \`OPTIMIZE … FINAL\`; the ReplacingMergeTree collapses resends and replays by design).
Command: \`npx tsx bench/faults.ts all --write\`; short forms in CI: \`test/e2e/{crash-verify,storage-outage,spool-limit,disk-full,backpressure}.test.ts\`.

Machine: ${[...new Set(runs.map((r) => r.machine ?? machine()))].join('; ')}.

${table(runs)}

Notes: the machine is shared with the other benchmarks (load average 5–12 during these runs), which stretches restart
and recovery times. \`/ready\` turns 200 again at the sink's next retry after the server is back, and its backoff
doubles up to 30 s: after a 45 s outage that was 13–15 s. Trips and mileage are read once the daily rollup has
settled: a tick that ran while positions were still arriving leaves partial figures until the next tick restates them
(see \`settleRollup\` in test/e2e/fixtures/scenarios.ts).
`;
}

/** This invocation's runs, plus the previous results (bench/out/faults.json) of scenarios not run now. */
async function merged(runs: Run[]): Promise<Run[]> {
  let before: Run[] = [];
  try {
    before = (JSON.parse(await readFile(`${OUT}faults.json`, 'utf8')) as { runs: Run[] }).runs;
  } catch {
    // first run
  }
  const now = new Map(runs.map((r) => [r.name, r]));
  const names = NAMES.filter((name) => now.has(name) || before.some((r) => r.name === name));
  return names.map((name) => now.get(name) ?? before.find((r) => r.name === name)!);
}

async function writeResults(current: Run[]): Promise<void> {
  const runs = await merged(current);
  const text = await readFile(RESULTS, 'utf8').catch(() => '# Benchmark results\n');
  const body = section(runs);
  const start = text.search(/^## Faults$/m);
  let next: string;
  if (start < 0) next = `${text.trimEnd()}\n\n${body}`;
  else {
    const rest = text.slice(start + 1);
    const end = rest.search(/^## /m);
    next = text.slice(0, start) + body + (end < 0 ? '' : `\n${rest.slice(end)}`);
  }
  await writeFile(RESULTS, next);
  await mkdir(OUT, { recursive: true });
  await writeFile(`${OUT}faults.json`, JSON.stringify({ runs }, null, 2));
  log(`wrote ${RESULTS} (## Faults) and ${OUT}faults.json`);
}

const runs: Run[] = [];
for (const name of NAMES) {
  if (which === 'all' || which === name) runs.push({ ...(await scenario(name)), machine: machine() });
}
process.stdout.write(`\n${table(runs)}\n`);
for (const r of runs) if (r.result) process.stdout.write(`\n${r.name}:\n${r.result.timeline.join('\n')}\n`);
if (write) await writeResults(runs);
const bad = runs.some((r) => r.error || (r.result && (r.result.lost > 0 || r.result.duplicated > 0 || r.result.sim.exitCode !== 0)));
process.exit(bad ? 1 : 0);
