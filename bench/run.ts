/**
 * `npm run bench`: a short version of every benchmark, each in its own process, one after the other
 * (under 3 minutes here), with a summary at the end. Flags:
 *
 *   npm run bench                         # short versions: decode, spool, ingest, connections, store, api (if bench/api.ts exists)
 *   npm run bench -- --write              # … and put the summary in bench/RESULTS.md ("Quick run")
 *   npm run bench -- --full --write       # the long versions (ingest ~6 min, connections ~4 min, …), each writing its section
 *   npm run bench -- --only ingest,decode # a subset
 *
 * Each benchmark's own output goes to bench/out/run-<name>.log; its JSON (when it prints one) to bench/out/<name>.json.
 * A benchmark that fails or overruns its time limit is reported and the others still run; the exit status is 1 then.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exited, lines, spawnTs, stopChild } from './lib/children.js';
import { load, machine, machineLine, REPO } from './lib/machine.js';
import { OUT_DIR, table, writeSection } from './lib/record.js';
import { fixed, int } from './lib/stats.js';

const { values: a } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

interface Bench {
  name: string;
  script: string;
  short: string[];
  full: string[];
  env?: Record<string, string>;
  /** Time limit, s (short, full). */
  limit: [number, number];
  /** The headline of its JSON output (if any), for the summary. */
  headline?: (json: unknown) => string;
  /** The headline from its text output, for benchmarks that print no JSON. */
  text?: (stdout: string) => string;
}

type J = Record<string, unknown>;
const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as J)[k] : undefined), o);
const num = (o: unknown, path: string): number => Number(get(o, path));

const BENCHES: Bench[] = [
  {
    name: 'decode', script: 'bench/decode.ts', short: [], full: [], env: { BENCH_FRAMES: '200000' }, limit: [60, 600],
    headline: (j) => `full path ${fixed(num(j, 'figures.plain.full.nsPerFrame'), 0)} ns/frame plain, ${fixed(num(j, 'figures.escaped.full.nsPerFrame'), 0)} escaped`,
  },
  {
    name: 'spool', script: 'bench/spool.ts', short: ['--records', '300000', '--paced-s', '2'], full: [], limit: [60, 300],
    text: (out) => out.split('\n').filter((l) => /^(max|paced)\b/.test(l)).map((l) => l.replace(/\s+/g, ' ').replace(/, refused.*?(, append->durable [^,]*)?(, fdatasync.*)?$/, '$1')).join(' · '),
  },
  {
    name: 'ingest', script: 'bench/ingest.ts', short: ['--short'], full: [], limit: [150, 900],
    headline: (j) => {
      const cs = (get(j, 'configs') as J[] | undefined) ?? [];
      return cs.map((c) => `${String(c.config)}: ratio ${fixed(Number(c.ratioMedian), 2)} window, ${fixed(Number(c.allInRatioMedian), 2)} all-in ` +
        `(fleetgate ${fixed(num(c, 'fleetgate.cpuUsPerMsg'), 1)} µs/msg at ${int(num(c, 'fleetgate.msgsPerS'))} msg/s)`).join('; ') +
        `; rows stored = answered: ${get(j, 'rows.allOk') ? 'yes' : 'NO'}`;
    },
  },
  {
    name: 'connections', script: 'bench/connections.ts', short: ['--short'], full: [], limit: [120, 900],
    headline: (j) => ((get(j, 'results') as J[] | undefined) ?? [])
      .map((r) => `${String(r.server)} N=${int(Number(r.n))}: ${fixed(Number(r.rssPerConnBytes) / 1024, 1)} KiB/conn, heartbeat p99 ${fixed(Number(r.heartbeatP99Ms), 1)} ms`).join('; '),
  },
  {
    // Short (~10 s, the whole run stays under 3 min): 2,000 vehicles' day (0.8 M rows), one round, their rollup.
    // Full (~6 min at low load): exactly 10 M rows, median of 3 rounds, then the rollup of 30,000 vehicles × 1 day.
    name: 'store', script: 'bench/store.ts', short: ['--vehicles', '2000', '--rounds', '1', '--rollup'],
    full: ['--positions', '10000000', '--vehicles', '30000', '--rounds', '3', '--rollup'], limit: [60, 1200],
    headline: (j) => `${fixed(num(j, 'bytesPerRow'), 3)} B/row, sink ${int(num(j, 'sinkMedian'))} rows/s on ${int(num(j, 'positions'))} rows; ` +
      `rollup of ${int(num(j, 'rollup.vehicles'))} vehicles × 1 day ${fixed(num(j, 'rollup.secs'), 1)} s`,
  },
  {
    name: 'api', script: 'bench/api.ts', short: ['--duration', '1'], full: [], limit: [150, 900],
    // CSV rows: date,sha,node,cpu,cores,config,scenario,metric,unit,value — the p99 of each scenario.
    text: (out) => out.split('\n').map((l) => l.split(',')).filter((c) => c[7] === 'p99').map((c) => `${c[6]} p99 ${c[9]} ${c[8]}`).join('; '),
  },
];

interface Outcome {
  name: string;
  status: string;
  seconds: number;
  headline: string;
}

/** The last top-level JSON object a benchmark printed on stdout, if any. */
function lastJson(text: string): unknown {
  for (let i = text.lastIndexOf('\n{'); i >= -1; i = text.lastIndexOf('\n{', i - 1)) {
    try {
      return JSON.parse(text.slice(i + 1));
    } catch {
      if (i <= 0) break;
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function runOne(b: Bench): Promise<Outcome> {
  const args = [...(a.full ? b.full : b.short), ...(a.full && a.write ? ['--write'] : [])];
  const limit = a.full ? b.limit[1] : b.limit[0];
  const started = performance.now();
  process.stderr.write(`\n== ${b.name}: npx tsx ${b.script} ${args.join(' ')}${b.env ? ` (${Object.entries(b.env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}\n`);
  // Its own process group: a benchmark's servers and load generators end with it, even when it overruns.
  const child = spawnTs(b.script, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(a.full ? {} : b.env) }, group: true });
  let out = '';
  let log = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    out += d;
    log += d;
  });
  lines(child.stderr, (l) => {
    log += `${l}\n`;
    process.stderr.write(`   ${l}\n`);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopChild(child, 'SIGINT', 10_000);
  }, limit * 1000);
  const code = await exited(child);
  clearTimeout(timer);
  await stopChild(child, 'SIGTERM', 5000); // whatever it left behind in its group
  writeFileSync(join(OUT_DIR, `run-${b.name}.log`), log);
  const seconds = Math.round((performance.now() - started) / 1000);
  const status = timedOut ? `over its ${limit} s limit` : code === 0 ? 'ok' : `exit ${code}`;
  let headline = '';
  try {
    const j = lastJson(out);
    headline = j !== undefined && b.headline ? b.headline(j) : '';
  } catch {
    headline = '';
  }
  if (!headline && b.text) headline = b.text(out);
  if (!headline) {
    // Text output: the result lines (not comments, JSON or CSV rows starting with a date), whitespace squeezed.
    const text = out.trim().split('\n').filter((l) => l && !/^([#{}\s]|\d{4}-\d\d-\d\dT)/.test(l)).map((l) => l.replace(/\s+/g, ' '));
    headline = text.slice(-2).join(' · ');
  }
  headline = headline.slice(0, 600);
  return { name: b.name, status, seconds, headline };
}

async function main(): Promise<void> {
  const m = machine();
  const only = a.only?.split(',');
  const selected = BENCHES.filter((b) => (!only || only.includes(b.name)) && existsSync(join(REPO, b.script)));
  process.stderr.write(`${machineLine(m)}\nbench: ${a.full ? 'full' : 'short'} run of ${selected.map((b) => b.name).join(', ')}\n`);
  const t0 = performance.now();
  const outcomes: Outcome[] = [];
  for (const b of selected) outcomes.push(await runOne(b));
  const wall = Math.round((performance.now() - t0) / 1000);
  process.stdout.write(`\n${machineLine(m, load())}\n${a.full ? 'full' : 'short'} run, ${wall} s:\n`);
  for (const o of outcomes) process.stdout.write(`  ${o.name.padEnd(12)} ${o.status.padEnd(8)} ${String(o.seconds).padStart(4)} s  ${o.headline}\n`);
  if (a.write && !a.full) {
    writeSection('Quick run (npm run bench)', [
      `Short versions of every benchmark, one process each (\`npm run bench -- --write\`, ${wall} s; logs in bench/out/run-*.log). Indicative only:`,
      'one round, short windows. The sections above hold the full runs.',
      '',
      machineLine(m, load()),
      '',
      table(['benchmark', 'status', 's', 'headline'], ['l', 'l', 'r', 'l'], outcomes.map((o) => [o.name, o.status, o.seconds, o.headline.replace(/\|/g, '/')])),
      '',
    ].join('\n'));
  }
  process.exitCode = outcomes.every((o) => o.status === 'ok') ? 0 : 1;
}

await main();
