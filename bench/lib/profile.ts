/**
 * V8 CPU profiles (`node --cpu-prof`) → where the time went: self time per function and per source file, as
 * shares of the busy (non-idle) samples. One profile per thread (main thread, decode worker); the embedded
 * ClickHouse's native threads are not in them (bench/lib/proc.ts's per-thread CPU covers those).
 * Samples can be limited to time ranges (CLOCK_MONOTONIC µs, the clock of V8's profile timestamps and of
 * `process.hrtime`), e.g. a benchmark's measurement windows. A worker blocked in `Atomics.wait` (piscina's
 * `atomicsWaitLoop`) sleeps, but the profiler books the time to that JS frame: it is counted as waiting, not busy.
 *
 *   node --import tsx bench/lib/profile.ts <file.cpuprofile|dir>…   # prints the summary as JSON
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './machine.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of busy time (idle excluded), 0–1. */
  share: number;
}

export interface ProfileSummary {
  files: string[];
  /** Profiled wall time, summed over files (threads), ms. */
  totalMs: number;
  idleMs: number;
  /** Blocked in Atomics.wait (piscina's idle worker). */
  waitMs: number;
  busyMs: number;
  /** Busy ms per file (thread). */
  busyByFile: Record<string, number>;
  functions: ProfileEntry[];
  sources: ProfileEntry[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  let path = url;
  if (url.startsWith('file://')) path = fileURLToPath(url);
  const rel = relative(REPO, path);
  return rel.startsWith('node_modules') ? rel.replace(/^node_modules\/((?:@[^/]+\/)?[^/]+).*$/, 'npm:$1') : rel;
}

function sourceOf(url: string, fn: string): string {
  if (fn === '(garbage collector)' || fn === '(program)' || fn === '(idle)' || fn === '(root)') return fn;
  const s = shortUrl(url);
  if (s.startsWith('node:')) return 'node: internals';
  return s;
}

const WAITING = new Set(['atomicsWaitLoop']);

/** Self time per function and source file; `ranges` ([fromUs, toUs] on CLOCK_MONOTONIC) keep only samples inside. */
export function summarizeProfiles(files: readonly string[], top = 30, ranges?: readonly (readonly [number, number])[]): ProfileSummary {
  const byFn = new Map<string, number>();
  const bySrc = new Map<string, number>();
  const busyByFile: Record<string, number> = {};
  let total = 0;
  let idle = 0;
  let wait = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    let ts = p.startTime;
    let fileBusy = 0;
    for (let i = 0; i < p.samples.length; i++) {
      const delta = p.timeDeltas[i] ?? 0;
      ts += delta;
      const dt = delta / 1000;
      if (dt <= 0) continue;
      if (ranges && !ranges.some(([a, b]) => ts >= a && ts <= b)) continue;
      const n = nodes.get(p.samples[i]);
      if (!n) continue;
      total += dt;
      const fn = n.callFrame.functionName || '(anonymous)';
      if (fn === '(idle)') {
        idle += dt;
        continue;
      }
      if (WAITING.has(fn)) {
        wait += dt;
        continue;
      }
      fileBusy += dt;
      const src = sourceOf(n.callFrame.url, fn);
      const key = src === fn ? fn : `${fn} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + dt);
      bySrc.set(src, (bySrc.get(src) ?? 0) + dt);
    }
    busyByFile[relative(REPO, f)] = Math.round(fileBusy);
  }
  const busy = total - idle - wait;
  const list = (m: Map<string, number>): ProfileEntry[] =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, selfMs: Math.round(ms), share: Math.round((ms / Math.max(1, busy)) * 1000) / 1000 }));
  return {
    files: files.map((f) => relative(REPO, f)), totalMs: Math.round(total), idleMs: Math.round(idle), waitMs: Math.round(wait), busyMs: Math.round(busy),
    busyByFile, functions: list(byFn), sources: list(bySrc),
  };
}

function expand(paths: readonly string[]): string[] {
  return paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)) : [p]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(JSON.stringify(summarizeProfiles(expand(process.argv.slice(2))), null, 2) + '\n');
}
