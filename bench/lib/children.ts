/**
 * Child processes of a benchmark: servers and load generators, each its own process, loopback only,
 * bounded in time and ended by PID (never by name). Every child started here is registered, so a
 * benchmark that fails or is interrupted still kills what it started (SIGTERM, then SIGKILL).
 */
import { execFileSync, fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { REPO } from './machine.js';

const live = new Set<ChildProcess>();
/** Children started as process-group leaders (`detached`): ended with their whole group (their own children too). */
const groups = new WeakSet<ChildProcess>();
let hooked = false;

/** Signals a child, or its whole process group when it leads one (negative pid: that group only). */
function signal(c: ChildProcess, sig: NodeJS.Signals): void {
  if (!c.pid) return;
  try {
    process.kill(groups.has(c) ? -c.pid : c.pid, sig);
  } catch {
    // already gone
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const c of live) if (groups.has(c) || (c.exitCode === null && c.signalCode === null)) signal(c, 'SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping children\n`);
      killAll();
      process.exit(130);
    });
  }
}

/**
 * `node [nodeArgs] --import tsx <script> [args]` from the repository root; registered for cleanup. `group`: the
 * child leads its own process group, and stopping it stops whatever it started too (a benchmark's own servers).
 */
export function spawnTs(script: string, args: readonly string[], o: SpawnOptions & { nodeArgs?: readonly string[]; group?: boolean } = {}): ChildProcess {
  return spawnNode([...(o.nodeArgs ?? []), '--import', 'tsx', script, ...args], o);
}

/**
 * `node [nodeArgs] <script> [args]` of compiled JavaScript (buildOnce), as `npm start` runs the gateway: a
 * benchmark measures the product as shipped, not tsx's dev transform (under tsx, piscina `require`s the decode
 * worker, which turns its whole import graph into CommonJS getters: ~2× the worker's CPU).
 */
export function spawnJs(script: string, args: readonly string[], o: SpawnOptions & { nodeArgs?: readonly string[]; group?: boolean } = {}): ChildProcess {
  return spawnNode([...(o.nodeArgs ?? []), script, ...args], o);
}

function spawnNode(argv: readonly string[], o: SpawnOptions & { group?: boolean }): ChildProcess {
  hookExit();
  const child = spawn(process.execPath, argv, { cwd: REPO, ...o, detached: o.group ?? false });
  live.add(child);
  if (o.group) groups.add(child);
  // A group leader is forgotten only once its group is gone (stopChild), not when the leader alone exits.
  child.once('exit', () => {
    if (!groups.has(child)) live.delete(child);
  });
  return child;
}

const built = new Set<string>();

/** `tsc -p tsconfig.json` in `dir` (a checkout), once per process: what `npm start` does before it runs dist/. */
export function buildOnce(dir: string = REPO): void {
  const at = resolve(dir);
  if (built.has(at)) return;
  process.stderr.write(`building ${at} (tsc, as npm start does) …\n`);
  try {
    execFileSync(process.execPath, [join(at, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: at, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; message: string };
    throw new Error(`build failed in ${at}: ${e.stdout?.toString().slice(-2000) ?? e.message}`);
  }
  built.add(at);
}

/** `fork` of a TypeScript module (IPC channel open) through tsx; registered for cleanup. */
export function forkTs(script: string, args: readonly string[], o: ForkOptions = {}): ChildProcess {
  hookExit();
  const child = fork(script, args, { cwd: REPO, execArgv: ['--import', 'tsx'], ...o });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves with the exit code (or signal) once the child has exited. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
}

/**
 * Sends `sig` (to the child's whole group when it leads one), waits up to `graceMs`, then SIGKILLs. Resolves once
 * the child is gone; a group's stragglers get SIGKILL too.
 */
export async function stopChild(child: ChildProcess, sig: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | string> {
  const finish = (r: number | string): number | string => {
    if (groups.has(child)) {
      signal(child, 'SIGKILL');
      live.delete(child);
    }
    return r;
  };
  if (child.exitCode !== null || child.signalCode !== null) return finish(child.exitCode ?? child.signalCode ?? 'unknown');
  const done = exited(child);
  signal(child, sig);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const r = await Promise.race([done, late]);
  clearTimeout(timer);
  if (r !== 'late') return finish(r);
  signal(child, 'SIGKILL');
  return finish(await done);
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Calls `onLine` for each complete line of a stream. */
export function lines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
    buf = '';
  });
}

/** Keeps the last `n` lines of a stream (for error messages). */
export class Tail {
  private readonly kept: string[] = [];
  constructor(private readonly n = 20) {}
  push = (line: string): void => {
    this.kept.push(line);
    if (this.kept.length > this.n) this.kept.shift();
  };
  toString(): string {
    return this.kept.join('\n');
  }
}
