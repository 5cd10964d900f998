// Simulator throughput: how many messages/s one fleetgate-sim process drives, so that the simulator is
// never the bottleneck of the gateway benchmarks (target ≥ 50,000 msg/s on this 2-core machine).
//
//   npx tsx bench/simulator.ts [--duration 10] [--rounds 3] [--scenario all|pipelined|open|lockstep]
//
// The gateway stand-in is a minimal answer-only TCP server (below), run in a child process of this
// same script so the simulator has its own core: it splits frames, answers 0x0100 with 0x8100 and
// everything else with 0x8001, all replies of one read in one write. Nothing is stored, so the figure
// is the simulator's own ceiling. Scenarios:
//   pipelined  1,000 terminals, --rate max, 16 in flight each (closed loop)
//   open       10,000 terminals at 5 reports/s each (50,000 msg/s offered, open loop, window 4)
//   lockstep   2,000 terminals, --rate max, 1 in flight each (one read + one write per message)
//   custom     --terminals N --rate R|max --window W --ramp C (run only with --scenario custom)
// Each round: achieved answered msgs/s over the run phase, simulator CPU µs per message, p50/p99
// answer latency. One CSV row per round and figure in bench/out/simulator.csv (the warm-up round is
// dropped); the median round is printed as JSON.
import { execSync, fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectLayout, FrameSplitter, encode8100, type SplitterHandler } from '../protocols/jt808/index.js';
import { runSimulation, type RunOptions } from '../simulator/run.js';
import { FrameWriter } from '../simulator/wire.js';

// ---- the answer-only server --------------------------------------------------------------------

/** One connection: answers every frame; replies of one read leave in one write. */
class AnswerConnection implements SplitterHandler {
  private readonly splitter = new FrameSplitter(2048);
  private writer: FrameWriter | null = null;
  private readonly out = Buffer.allocUnsafe(256 * 1024);
  private len = 0;
  private readonly body = Buffer.allocUnsafe(64);
  private serial = 0;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk, this);
      if (this.len > 0) {
        socket.write(Buffer.from(this.out.subarray(0, this.len)));
        this.len = 0;
      }
    });
    socket.on('error', () => {});
  }

  frame(f: Buffer): void {
    const props = (f[2] << 8) | f[3];
    const layout = detectLayout(props, f.length - 1);
    if (layout === null) return;
    const phoneAt = layout === '2019' ? 5 : 4;
    const phoneEnd = layout === '2019' ? 15 : 10;
    this.writer ??= new FrameWriter(layout, f.toString('hex', phoneAt, phoneEnd));
    const msgId = (f[0] << 8) | f[1];
    const serialHi = f[phoneEnd];
    const serialLo = f[phoneEnd + 1];
    if (this.len > this.out.length - 128) {
      this.socket.write(Buffer.from(this.out.subarray(0, this.len)));
      this.len = 0;
    }
    const s = this.serial++ & 0xffff;
    if (msgId === 0x0100) {
      const body = encode8100({ replySerial: (serialHi << 8) | serialLo, result: 0, authCode: 'bench' });
      this.len = this.writer.write(this.out, this.len, 0x8100, s, body, 0, body.length);
      return;
    }
    const b = this.body;
    b[0] = serialHi;
    b[1] = serialLo;
    b[2] = f[0];
    b[3] = f[1];
    b[4] = 0;
    this.len = this.writer.write(this.out, this.len, 0x8001, s, b, 0, 5);
  }

  error(): void {}
}

function serve(): void {
  const server = createServer({ noDelay: true }, (socket) => new AnswerConnection(socket));
  server.listen({ port: 0, host: '127.0.0.1', backlog: 65535 }, () => {
    const addr = server.address();
    process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- the benchmark -----------------------------------------------------------------------------

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function sha(): string {
  try {
    const s = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain simulator bench/simulator.ts', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? 'uncommitted' : s;
  } catch {
    return 'none';
  }
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('error', reject);
  });
}

interface Scenario {
  name: string;
  terminals: number;
  rate: number | 'max';
  window: number;
  ramp: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'pipelined', terminals: 1000, rate: 'max', window: 16, ramp: 0 },
  { name: 'open', terminals: 10_000, rate: 5, window: 4, ramp: 20_000 },
  { name: 'lockstep', terminals: 2000, rate: 'max', window: 1, ramp: 0 },
];

function options(sc: Scenario, port: number, durationS: number): RunOptions {
  return {
    host: '127.0.0.1', port, terminals: sc.terminals, rate: sc.rate, durationS, window: sc.window, protocol: 'mix', seed: 1,
    sourceIps: [], ramp: sc.ramp, heartbeatS: 0, timeoutS: 30, connectTimeoutS: 10, drainS: 5, days: 1, centerLat: 29.56,
    centerLon: 106.55, radiusKm: 25, firstId: 13900000000, batchItems: 20, backlogMax: 10000, tickMs: 5,
    faults: { duplicates: 0, badFrames: 0, split: 0, sticky: 0, subpackage: 0, fragmentLoss: 0, backfill: 0, offlineS: 0, reconnectStormS: 0, stormAtS: 0, clockSkewS: 0, clockSkewFraction: 0, odometerReset: 0 },
    progress: 'off', progressIntervalS: 5,
  };
}

interface Round {
  msgsPerS: number;
  cpuUsPerMsg: number;
  p50Ms: number;
  p99Ms: number;
  unanswered: number;
}

async function round(sc: Scenario, port: number, durationS: number): Promise<Round> {
  const cpu0 = process.cpuUsage();
  const { report } = await runSimulation(options(sc, port, durationS), { err: () => {}, isTTY: false });
  const cpu = process.cpuUsage(cpu0);
  return {
    msgsPerS: report.msgsPerSecond.answered,
    cpuUsPerMsg: Math.round(((cpu.user + cpu.system) / Math.max(1, report.messages.answered)) * 100) / 100,
    p50Ms: report.latencyMs.p50,
    p99Ms: report.latencyMs.p99,
    unanswered: report.messages.unanswered,
  };
}

async function bench(): Promise<void> {
  const durationS = Number(arg('duration', '10'));
  const rounds = Number(arg('rounds', '3'));
  const which = arg('scenario', 'all');
  if (which === 'custom') {
    const rate = arg('rate', '1');
    SCENARIOS.push({ name: 'custom', terminals: Number(arg('terminals', '1000')), rate: rate === 'max' ? 'max' : Number(rate), window: Number(arg('window', '1')), ramp: Number(arg('ramp', '5000')) });
  }
  const { child, port } = await startServer();
  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'out'), { recursive: true });
  const csv = join(here, 'out', 'simulator.csv');
  const meta = [new Date().toISOString(), sha(), process.version, `"${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? '?'}"`, cpus().length];
  const results: Record<string, Round & { rounds: number }> = {};
  try {
    for (const sc of SCENARIOS) {
      if (which !== 'all' && which !== sc.name) continue;
      const config = `"sim ${sc.name} terminals=${sc.terminals} rate=${sc.rate} window=${sc.window} duration=${durationS}s"`;
      await round(sc, port, Math.min(3, durationS)); // warm-up, dropped
      const rs: Round[] = [];
      for (let r = 0; r < rounds; r++) {
        const x = await round(sc, port, durationS);
        rs.push(x);
        appendFileSync(csv, [...meta, config, 'msgs/s', x.msgsPerS].join(',') + '\n' + [...meta, config, 'cpu_us/msg', x.cpuUsPerMsg].join(',') + '\n');
        process.stderr.write(`${sc.name} round ${r + 1}: ${x.msgsPerS.toLocaleString('en-US')} msg/s, ${x.cpuUsPerMsg} µs CPU/msg, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms\n`);
      }
      rs.sort((a, b) => a.msgsPerS - b.msgsPerS);
      results[sc.name] = { ...rs[Math.floor(rs.length / 2)], rounds };
    }
  } finally {
    child.disconnect();
    child.kill();
  }
  process.stdout.write(JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, durationS, results }, null, 2) + '\n');
}

if (process.argv.includes('--serve')) serve();
else await bench();
