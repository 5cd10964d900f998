// Spool throughput and cost: `npx tsx bench/spool.ts [--records 2000000] [--size 60]
// [--segment-mb 64] [--interval-ms 2] [--rate 100000] [--paced-s 3] [--no-consumer]`.
//
// Phase "max": append N records of --size bytes as fast as the spool accepts them (batches of
// 1,000 per event-loop turn, so the group commit and a simulated sink can run): appends/s, time
// inside append per call, process CPU per append, fsyncs/s and records per fsync.
// Phase "paced": a fixed offered rate from a 1 ms loop (like socket reads arriving), with the
// append->durable latency a terminal would see before its answer with ack=durable, and the
// main thread's event-loop busy time per append. A 1 s run at rate 0 measures the harness alone
// (loop, idle sink polling): its CPU and busy time are subtracted from the paced figures.
//
// process.cpuUsage counts the whole process: main thread, libuv pool threads doing write and
// fdatasync, and the kernel time of those syscalls. Node 20 has no per-thread CPU clock, so the
// main thread's share is the event-loop busy time (performance.eventLoopUtilization).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { nodeIo, Spool, type SpoolIo } from '../src/spool/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('records', 2_000_000);
const SIZE = arg('size', 60);
const SEGMENT = arg('segment-mb', 64) * 1024 * 1024;
const INTERVAL = arg('interval-ms', 2);
const RATE = arg('rate', 100_000);
const PACED_S = arg('paced-s', 3);
const NO_CONSUMER = process.argv.includes('--no-consumer');
const BATCH = 1000;

interface Result {
  phase: string;
  records: number;
  seconds: number;
  appendsPerS: number;
  /** Time inside append calls (hrtime around the batches). */
  appendNs: number;
  /** Paced: main-thread event-loop busy time per append, harness baseline subtracted. */
  mainBusyNs?: number;
  /** Whole-process CPU per append; paced: harness baseline subtracted. */
  cpuNs: number;
  fsyncsPerS: number;
  recordsPerFsync: number;
  refused: number;
  latencyMs?: { p50: number; p99: number; max: number };
  fsyncMs: { p50: number; p99: number; max: number };
}

interface Baseline {
  cpuNsPerS: number;
  busyNsPerS: number;
}

function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

const fsyncMs: number[] = [];
/** Real fs with fdatasync timed: the disk's share of the answer latency. */
const timedIo: Partial<SpoolIo> = {
  fdatasync: async (fd) => {
    const t = performance.now();
    await nodeIo.fdatasync(fd);
    fsyncMs.push(performance.now() - t);
  },
};

function open(dir: string): Promise<Spool> {
  fsyncMs.length = 0;
  return Spool.open({ dir, segmentBytes: SEGMENT, fsyncIntervalMs: INTERVAL, io: timedIo });
}

/**
 * A sink like src/store's: takes durable records in 1 MiB raw batches (the decode worker would
 * walk and CRC-check them; here the batch is dropped) and commits its checkpoint after an
 * "insert", at most every 100 ms (a commit is an fdatasync competing with the group commits).
 */
function startSink(spool: Spool): () => Promise<void> {
  const c = spool.consumer('sink');
  let running = !NO_CONSUMER;
  let lastCommit = 0;
  const loop = (async () => {
    while (running) {
      const { count, next } = await c.readBatch(1 << 20);
      if (count === 0) {
        await sleep(5);
        continue;
      }
      if (performance.now() - lastCommit >= 100) {
        lastCommit = performance.now();
        await c.commit(next);
      }
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

async function phaseMax(dir: string): Promise<Result> {
  const spool = await open(dir);
  const stopSink = startSink(spool);
  const data = Buffer.alloc(SIZE, 0x5a);
  let appendNs = 0n;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (done < N) {
    const a = process.hrtime.bigint();
    const stamp = Date.now();
    let k = 0;
    for (; k < BATCH && done < N; k++, done++) if (spool.append(data, stamp) < 0) break;
    appendNs += process.hrtime.bigint() - a;
    if (k < BATCH && done < N) await spool.flush(); // refused: the disk is behind, let it catch up
    else await turn();
  }
  await spool.flush();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const st = spool.stats();
  await stopSink();
  await spool.close();
  return {
    phase: 'max',
    records: done,
    seconds: wall,
    appendsPerS: done / wall,
    appendNs: Number(appendNs) / done,
    cpuNs: ((cpu.user + cpu.system) * 1000) / done,
    fsyncsPerS: st.fsyncs / wall,
    recordsPerFsync: done / st.fsyncs,
    refused: st.refused,
    fsyncMs: percentiles(fsyncMs),
  };
}

interface PacedRun {
  done: number;
  wall: number;
  appendNs: number;
  cpuNs: number;
  busyNs: number;
  latencies: number[];
  fsyncs: number;
  refused: number;
}

async function pacedRun(dir: string, rate: number, seconds: number): Promise<PacedRun> {
  const spool = await open(dir);
  const stopSink = startSink(spool);
  const data = Buffer.alloc(SIZE, 0xa5);
  // every 64th record: (end position, append time); durable positions arrive in order
  const samplePos: number[] = [];
  const sampleAt: number[] = [];
  const latencies: number[] = [];
  let next = 0;
  spool.onDurable((p) => {
    const now = performance.now();
    while (next < samplePos.length && samplePos[next] <= p) latencies.push(now - sampleAt[next++]);
  });
  let done = 0;
  let appendNs = 0n;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  for (;;) {
    const now = performance.now();
    if (now >= start + seconds * 1000) break;
    const due = Math.floor(((now - start) / 1000) * rate);
    const a = process.hrtime.bigint();
    for (; done < due; done++) {
      const p = spool.append(data, now);
      if (p < 0) break;
      if ((done & 63) === 0) {
        samplePos.push(p);
        sampleAt.push(now);
      }
    }
    appendNs += process.hrtime.bigint() - a;
    await sleep(1);
  }
  await spool.flush();
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const busyNs = performance.eventLoopUtilization(elu0).active * 1e6;
  const st = spool.stats();
  await stopSink();
  await spool.close();
  return {
    done,
    wall,
    appendNs: Number(appendNs),
    cpuNs: (cpu.user + cpu.system) * 1000,
    busyNs,
    latencies,
    fsyncs: st.fsyncs,
    refused: st.refused,
  };
}

async function phasePaced(dir: string, base: Baseline): Promise<Result> {
  const r = await pacedRun(dir, RATE, PACED_S);
  return {
    phase: `paced ${RATE}/s`,
    records: r.done,
    seconds: r.wall,
    appendsPerS: r.done / r.wall,
    appendNs: r.appendNs / r.done,
    mainBusyNs: (r.busyNs - base.busyNsPerS * r.wall) / r.done,
    cpuNs: (r.cpuNs - base.cpuNsPerS * r.wall) / r.done,
    fsyncsPerS: r.fsyncs / r.wall,
    recordsPerFsync: r.done / r.fsyncs,
    refused: r.refused,
    latencyMs: percentiles(r.latencies),
    fsyncMs: percentiles(fsyncMs),
  };
}

function sha(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'uncommitted';
  }
}

const ms = (x: number) => x.toFixed(2);

function describe(r: Result): string {
  const parts = [
    `${r.records} records in ${r.seconds.toFixed(2)} s: ${Math.round(r.appendsPerS).toLocaleString('en')} appends/s`,
    `${r.appendNs.toFixed(0)} ns in append`,
    r.mainBusyNs === undefined ? '' : `${r.mainBusyNs.toFixed(0)} ns main-thread busy/append`,
    `${r.cpuNs.toFixed(0)} ns process CPU/append`,
    `${r.fsyncsPerS.toFixed(0)} fsyncs/s, ${r.recordsPerFsync.toFixed(0)} records/fsync, refused ${r.refused}`,
    r.latencyMs === undefined
      ? ''
      : `append->durable p50 ${ms(r.latencyMs.p50)} p99 ${ms(r.latencyMs.p99)} max ${ms(r.latencyMs.max)} ms`,
    `fdatasync p50 ${ms(r.fsyncMs.p50)} p99 ${ms(r.fsyncMs.p99)} max ${ms(r.fsyncMs.max)} ms`,
  ];
  return `${r.phase.padEnd(15)} ${parts.filter((p) => p !== '').join(', ')}`;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-spool-bench-'));
try {
  const cpus = os.cpus();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`# ${os.type()} ${os.release()}, ${cpus[0]?.model ?? '?'} x${cpus.length}, Node ${process.version}, load ${load}`);
  console.log(
    `# ${SIZE}-byte records, segments ${SEGMENT >> 20} MiB, fsync interval ${INTERVAL} ms` +
      (NO_CONSUMER ? ', no consumer' : ', sink consumer committing every 100 ms'),
  );
  await phaseMax(path.join(tmp, 'warmup')); // JIT warm-up, dropped
  const idle = await pacedRun(path.join(tmp, 'baseline'), 0, 1);
  const base: Baseline = { cpuNsPerS: idle.cpuNs / idle.wall, busyNsPerS: idle.busyNs / idle.wall };
  console.log(
    `# harness alone: ${(base.cpuNsPerS / 1e6).toFixed(1)} ms CPU/s, ` +
      `${(base.busyNsPerS / 1e6).toFixed(1)} ms main-thread busy/s (subtracted from paced figures)`,
  );
  const results = [await phaseMax(path.join(tmp, 'max')), await phasePaced(path.join(tmp, 'paced'), base)];
  for (const r of results) console.log(describe(r));

  // CSV rows (date, sha, node, cpu, cores, config, unit, value) for bench/report.ts
  const out = path.join(import.meta.dirname ?? '.', 'out');
  fs.mkdirSync(out, { recursive: true });
  const row0 = [new Date().toISOString(), sha(), process.version, JSON.stringify(cpus[0]?.model ?? ''), cpus.length];
  const rows: string[] = [];
  for (const r of results) {
    const config = `"spool ${r.phase} size=${SIZE} seg=${SEGMENT >> 20}MiB interval=${INTERVAL}ms"`;
    const add = (unit: string, v: number | undefined) => {
      if (v !== undefined) rows.push([...row0, config, unit, v.toFixed(2)].join(','));
    };
    add('appends/s', r.appendsPerS);
    add('ns_in_append', r.appendNs);
    add('ns_main_busy/append', r.mainBusyNs);
    add('ns_cpu/append', r.cpuNs);
    add('fsyncs/s', r.fsyncsPerS);
    add('records/fsync', r.recordsPerFsync);
    add('ms_p99_durable', r.latencyMs?.p99);
  }
  fs.appendFileSync(path.join(out, 'spool.csv'), rows.join('\n') + '\n');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
