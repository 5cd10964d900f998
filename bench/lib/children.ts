/**
 * Child processes of a benchmark: servers and load generators, each its own process, loopback only,
 * bounded in time and ended by PID (never by name). Every child started here is registered, so a
 * benchmark that fails or is interrupted still kills what it started (SIGTERM, then SIGKILL).
 */
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO } from './machine.js';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
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

/** `node [nodeArgs] --import tsx <script> [args]` from the repository root; registered for cleanup. */
export function spawnTs(script: string, args: readonly string[], o: SpawnOptions & { nodeArgs?: readonly string[] } = {}): ChildProcess {
  hookExit();
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', script, ...args], { cwd: REPO, ...o });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
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

/** Sends `signal`, waits up to `graceMs`, then SIGKILLs. Resolves once the child is gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode ?? 'unknown';
  const done = exited(child);
  if (child.pid) process.kill(child.pid, signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const r = await Promise.race([done, late]);
  clearTimeout(timer);
  if (r !== 'late') return r;
  if (child.pid) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return done;
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
