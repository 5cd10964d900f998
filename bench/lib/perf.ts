/**
 * Linux `perf` over a server process during a measurement window: every thread (main, decode worker, libuv
 * pool, V8 helpers, the embedded ClickHouse's threads) and every layer (kernel, V8/Node runtime, JIT code,
 * libc, libchdb) in one picture, which V8's own profiler cannot give (it sees JS threads only, not the
 * kernel's share of a socket write or an fdatasync).
 *
 * `record()` runs `perf record -F 999 -g -p <pid>` until SIGINT (cpu-clock: one sample ≈ 1 ms of CPU);
 * servers run with `--perf-basic-prof-only-functions` so JIT frames have names. `summarize()` turns
 * `perf report` into µs of CPU per answered message by thread group and by category.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export const PERF_NODE_ARGS = ['--perf-basic-prof-only-functions'];
const FREQ = 999;

/** True when `perf` can record here. */
export function perfAvailable(): boolean {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Records `pid` (all its threads) until the returned child gets SIGINT. */
export function record(pid: number, file: string): ChildProcess {
  return spawn('perf', ['record', '-q', '-F', String(FREQ), '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
}

interface Row {
  samples: number;
  tid: number;
  comm: string;
  dso: string;
  sym: string;
}

function rows(file: string): Row[] {
  const text = execFileSync(
    'perf',
    ['report', '-i', file, '--no-children', '--stdio', '-g', 'none', '--percent-limit', '0', '--sort', 'pid,dso,sym', '-F', 'sample,pid,dso,sym', '-t', '|'],
    { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  ).toString();
  const out: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [s, p, dso, sym] = line.split('|').map((x) => x.trim());
    const m = /^(\d+):(.*)$/.exec(p ?? '');
    if (!m || !Number(s)) continue;
    out.push({ samples: Number(s), tid: Number(m[1]), comm: m[2], dso: dso ?? '', sym: (sym ?? '').replace(/^\[[.k]\]\s*/, '') });
  }
  return out;
}

/** Category of one sample row of the main thread (or any JS thread). */
export function category(r: Row): string {
  const { dso, sym } = r;
  if (dso.includes('kernel')) {
    if (/tcp|sock|inet|^ip_|_ip_|__netif|net_rx|napi|skb|__dev_|loopback|dev_hard|sk_|rps|neigh|softirq/.test(sym)) return 'kernel: TCP/loopback';
    if (/ep_|epoll/.test(sym)) return 'kernel: epoll';
    if (/ext4|jbd2|block|bio|blk|filemap|folio|page_cache|fsync|iomap|writeback|recently_deleted|inode|dentry|namei|path_|d_alloc|mkdir|unlink|rename|getname|filp_open|openat|xattr|lookup_|mnt_/.test(sym)) {
      return 'kernel: files (spool, ClickHouse parts, fsync)';
    }
    if (/schedule|switch|wake|futex|sched|irqrestore|_raw_spin_unlock_irq|enqueue|dequeue|select_task|ttwu|idle|native_write_msr/.test(sym)) return 'kernel: scheduling, wakeups, futex';
    if (/page_fault|do_anonymous|handle_mm|clear_page|mmap|munmap|madvise|vma|lru|memcg|zap_|tlb/.test(sym)) return 'kernel: memory (page faults, mmap)';
    return 'kernel: syscalls, other';
  }
  if (dso.includes('chdb')) return 'ClickHouse (libchdb)';
  if (dso.startsWith('[JIT]')) {
    const f = /(file:\/\/\S+|node:\S+|\/\S+)/.exec(sym)?.[1] ?? '';
    if (f.startsWith('node:')) return `JS: node internals (${f.replace(/^node:(internal\/)?/, '').replace(/:\d+:\d+$/, '').split('/')[0]})`;
    const path = f.replace(/^file:\/\//, '');
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    if (nm) return `JS: npm ${nm[1]}`;
    const mine = /\/(src|protocols|bench|simulator)\/(.*?)(?:\.[tj]s)?:\d+/.exec(path);
    if (mine) {
      const parts = mine[2].split('/');
      return `JS: ${mine[1]}/${parts.length > 1 ? parts[0] + '/' : ''}${mine[1] === 'protocols' ? '' : parts.at(-1)}`.replace(/\/$/, '');
    }
    return 'JS: other';
  }
  if (/libc|ld-linux|libstdc|libm\b/.test(dso)) return /malloc|free|_int_|unlink_chunk|cfree|tcache/.test(sym) ? 'libc: malloc/free' : 'libc: memcpy, other';
  if (dso === 'node' || dso.endsWith('/node')) {
    if (/Scaveng|Heap::|MarkCompact|Sweep|GCTracer|Evacuat|Marking|RecordWrite|WriteBarrier|ConcurrentMark|MinorMC|Compactor|Heap\b|PagedSpace|NewSpace|MemoryChunk|MemoryAllocator|LocalHeap|IncrementalMark|GC/.test(sym)) return 'V8: garbage collection, write barrier';
    if (/ValueSerializer|ValueDeserializer|StringTable|Internalize|MessagePort|Messaging|SerializerDelegate/.test(sym)) return 'V8: structured clone (worker messages)';
    if (/^uv_|^uv__/.test(sym)) return 'libuv';
    if (/^node::/.test(sym)) return 'Node C++ (streams, buffers, handles)';
    if (/Builtins_.*IC|LoadIC|StoreIC|KeyedLoad|KeyedStore|Megamorphic|FeedbackVector|Runtime_/.test(sym)) return 'V8: inline caches, runtime calls';
    if (/Builtins_/.test(sym)) return 'V8: builtins';
    return 'V8/Node: other';
  }
  return `other (${dso})`;
}

export interface PerfSummary {
  file: string;
  /** CPU seconds sampled, all threads. */
  cpuS: number;
  /** µs of CPU per message by thread group. */
  threads: Record<string, number>;
  /** Main thread only: µs per message by category. */
  main: Record<string, number>;
  /** All threads: µs per message by category. */
  all: Record<string, number>;
  /** Main thread's top symbols, µs per message. */
  mainTop: { sym: string; dso: string; us: number }[];
}

/** µs per message (one cpu-clock sample ≈ 1/FREQ s of CPU). */
export function summarize(files: readonly string[], pid: number | readonly number[], messages: number): PerfSummary {
  const pids = new Set(Array.isArray(pid) ? pid : [pid]);
  const usPer = (samples: number): number => Math.round(((samples * 1e6) / FREQ / Math.max(1, messages)) * 100) / 100;
  const threads = new Map<string, number>();
  const main = new Map<string, number>();
  const all = new Map<string, number>();
  const top = new Map<string, { sym: string; dso: string; n: number }>();
  let total = 0;
  // The decode worker: the non-main 'node' thread with the most JIT samples, per file (pid).
  for (const file of files) {
    const rs = rows(file);
    const jit = new Map<number, number>();
    for (const r of rs) if (r.dso.startsWith('[JIT]') && !pids.has(r.tid)) jit.set(r.tid, (jit.get(r.tid) ?? 0) + r.samples);
    const worker = [...jit].sort((x, y) => y[1] - x[1])[0]?.[0];
    for (const r of rs) {
      total += r.samples;
      const group = pids.has(r.tid) ? 'main thread' : r.tid === worker ? 'decode worker thread' : r.comm === 'node' ? 'other Node threads (libuv pool, V8 GC helpers)' : 'ClickHouse threads';
      threads.set(group, (threads.get(group) ?? 0) + r.samples);
      const c = category(r);
      all.set(c, (all.get(c) ?? 0) + r.samples);
      if (pids.has(r.tid)) {
        main.set(c, (main.get(c) ?? 0) + r.samples);
        const k = `${r.dso}|${r.sym}`;
        const t = top.get(k) ?? { sym: r.sym, dso: r.dso, n: 0 };
        t.n += r.samples;
        top.set(k, t);
      }
    }
  }
  const obj = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, usPer(v)]));
  return {
    file: files.join(','),
    cpuS: Math.round((total / FREQ) * 100) / 100,
    threads: obj(threads),
    main: obj(main),
    all: obj(all),
    mainTop: [...top.values()].sort((x, y) => y.n - x.n).slice(0, 40).map((t) => ({ sym: t.sym.replace(/^JS:\*?/, ''), dso: t.dso.startsWith('[JIT]') ? 'JIT' : t.dso, us: usPer(t.n) })),
  };
}
