/**
 * Who measured what, where: the machine line every benchmark prints and records (STYLE.md rule 11:
 * date, sha, Node, CPU, cores), plus what a reader of a noisy 2-core machine needs to judge a figure:
 * load average, memory, the file-descriptor limit, the kernel.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (bench/lib/ → ../..). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Machine {
  /** ISO 8601, UTC. */
  date: string;
  /** Short commit, `+dirty` when src/, protocols/ or bench/ differ from it. */
  sha: string;
  node: string;
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  /** Soft limit of open files of this process (each connection is one). */
  nofile: number;
  /** 1, 5, 15 minutes, when asked. */
  loadavg: [number, number, number];
}

/** Short commit of HEAD, marked `+dirty` when the code a benchmark runs differs from it. */
export function gitSha(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'protocols', 'bench', 'simulator'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'none';
  }
}

/** `Max open files` soft limit from /proc/self/limits (what `ulimit -n` says). */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const n = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

export function load(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [round2(a), round2(b), round2(c)];
}

export function machine(): Machine {
  return {
    date: new Date().toISOString(),
    sha: gitSha(),
    node: process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    nofile: openFileLimit(),
    loadavg: load(),
  };
}

/** The sentence RESULTS.md sections open with. */
export function machineLine(m: Machine, loadEnd?: [number, number, number]): string {
  const l = loadEnd ? `load average ${m.loadavg[0]} at the start, ${loadEnd[0]} at the end` : `load average ${m.loadavg[0]}`;
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}, open-file limit ${m.nofile}; ${l}; Node ${m.node}; commit ${m.sha}; ${m.date.slice(0, 16).replace('T', ' ')} UTC.`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
