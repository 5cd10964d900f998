/**
 * CPU and memory of another process from /proc, all threads included: `/proc/<pid>/stat` utime + stime
 * are the sums over every thread of the process (the main thread, libuv's pool doing write/fdatasync,
 * piscina workers, the embedded ClickHouse's threads), in clock ticks (`getconf CLK_TCK`, 100 here, so
 * 10 ms resolution: windows of a few seconds at tens of percent of a core are good to ~1 %).
 * `/proc/stat` gives the whole machine's busy share, to tell a saturated machine from an idle server.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let tick = 0;
/** Milliseconds per clock tick. */
function tickMs(): number {
  if (tick === 0) {
    try {
      tick = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
    } catch {
      tick = 10;
    }
    if (!Number.isFinite(tick) || tick <= 0) tick = 10;
  }
  return tick;
}

let page = 0;
function pageBytes(): number {
  if (page === 0) {
    try {
      page = Number(execFileSync('getconf', ['PAGESIZE']).toString().trim());
    } catch {
      page = 4096;
    }
  }
  return page;
}

export interface ProcSample {
  /** performance.now() when read. */
  at: number;
  /** user + system CPU of all threads, ms. */
  cpuMs: number;
  userMs: number;
  systemMs: number;
  /** Resident set, bytes. */
  rss: number;
  threads: number;
}

/** One reading of /proc/<pid>/stat; undefined once the process is gone. */
export function sampleProc(pid: number): ProcSample | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime 14, stime 15, num_threads 20, rss 24 → indexes 11, 12, 17, 21.
  const t = tickMs();
  const userMs = Number(f[11]) * t;
  const systemMs = Number(f[12]) * t;
  return { at: performance.now(), cpuMs: userMs + systemMs, userMs, systemMs, threads: Number(f[17]), rss: Number(f[21]) * pageBytes() };
}

/** VmRSS of /proc/<pid>/status, bytes (same figure as stat's rss, from the kernel's own counters). */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of all CPUs since boot (/proc/stat line `cpu`). */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is inside user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Share of all cores that was busy between two readings, 0–1. */
export function busyShare(a: MachineCpu, b: MachineCpu): number {
  const dt = b.total - a.total;
  return dt > 0 ? (b.busy - a.busy) / dt : 0;
}

/** CPU of a process between two samples, as a share of one core. */
export function coreShare(a: ProcSample, b: ProcSample): number {
  const dt = b.at - a.at;
  return dt > 0 ? (b.cpuMs - a.cpuMs) / dt : 0;
}

/** CPU of each live thread of a process, ms, by thread id, with the thread's name (comm, 15 chars). */
export function sampleThreads(pid: number): Map<number, { comm: string; cpuMs: number }> {
  const out = new Map<number, { comm: string; cpuMs: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  const t = tickMs();
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { comm, cpuMs: (Number(f[11]) + Number(f[12])) * t });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * CPU between two thread samples grouped by thread name (digits folded: `QueryPipelineEx`, `libuv-worker`,
 * `node` is the main thread and worker_threads), ms. Threads that ended in between are missing.
 */
export function cpuByThreadName(a: Map<number, { comm: string; cpuMs: number }>, b: Map<number, { comm: string; cpuMs: number }>, mainPid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tid, x] of b) {
    const d = x.cpuMs - (a.get(tid)?.cpuMs ?? 0);
    if (d <= 0) continue;
    const name = tid === mainPid ? 'main thread' : x.comm.replace(/[\d-]+$/, '') || x.comm;
    out[name] = (out[name] ?? 0) + d;
  }
  return out;
}
