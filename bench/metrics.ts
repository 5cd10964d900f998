// Cost of counting one frame: a held cell, a cell looked up by msg id, the gateway adapter, and prom-client's
// own bound child for comparison. Rounds after a dropped warm-up; one CSV row per round
// (date,sha,node,cpu,cores,config,unit,value). Run: npx tsx bench/metrics.ts
import { execSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { createMetrics, gatewayMetrics } from '../src/metrics.js';

const N = 20_000_000;
const ROUNDS = 5;

function sha(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'none';
  }
}

function nsPerOp(fn: (n: number) => void): number {
  const t0 = process.hrtime.bigint();
  fn(N);
  return Number(process.hrtime.bigint() - t0) / N;
}

const m = createMetrics({ defaultMetrics: false });
const held = m.frames.child(0x0200);
const gw = gatewayMetrics(m);
const promChild = m.frames.metric.labels('0x0200');

// The mix a gateway sees: positions, heartbeats, auth, backlogs, answers…
const IDS = [0x0200, 0x0002, 0x0200, 0x0704, 0x0200, 0x0102, 0x0200, 0x0001];

const cases: Record<string, (n: number) => void> = {
  'cell.inc (held)': (n) => { for (let i = 0; i < n; i++) held.inc(); },
  'frames.child(id).inc': (n) => { for (let i = 0; i < n; i++) m.frames.child(0x0200).inc(); },
  'frames.child(8 ids).inc': (n) => { for (let i = 0; i < n; i++) m.frames.child(IDS[i & 7]).inc(); },
  'gatewayMetrics.frame(id)': (n) => { for (let i = 0; i < n; i++) gw.frame(0x0200); },
  'prom-client labels().inc (held)': (n) => { for (let i = 0; i < n / 10; i++) promChild.inc(); },
};

const date = new Date().toISOString();
const head = [date, sha(), process.version, JSON.stringify(cpus()[0]?.model ?? 'unknown'), availableParallelism()].join(',');
console.log('date,sha,node,cpu,cores,config,unit,value');
for (const [name, fn] of Object.entries(cases)) {
  const scale = name.startsWith('prom-client') ? 10 : 1;
  fn(N / 10); // warm-up, dropped
  for (let r = 0; r < ROUNDS; r++) {
    console.log(`${head},${JSON.stringify(name)},ns/op,${(nsPerOp(fn) * scale).toFixed(2)}`);
  }
}
// Keep the counts observable so the loops cannot be dropped as dead code.
if (held.value < 0) console.log(held.value);
