/**
 * The parent side of bench/lib/loader.ts (closed or open loop): start it, wait until every terminal is online,
 * `go`, take marks (counters + the latency histogram since the previous mark), stop.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { exited, forkTs, stopChild } from './children.js';
import type { LoaderCounts, LoaderMark, LoaderOptions } from './loader.js';
import { REPO } from './machine.js';

type Msg = (LoaderCounts & { type: 'online' | 'done' }) | LoaderMark;

export class LoadClient {
  readonly child: ChildProcess;
  last: LoaderCounts = { online: 0, connected: 0, failed: 0, sent: 0, answered: 0, skipped: 0, at: 0 };
  private listeners: ((m: Msg) => void)[] = [];
  private markId = 0;

  constructor(readonly o: LoaderOptions) {
    this.child = forkTs(join(REPO, 'bench', 'lib', 'loader.ts'), [JSON.stringify(o)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (m: Msg) => {
      if (m.type === 'online' || m.type === 'done') this.last = m;
      for (const l of this.listeners) l(m);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private next<T extends Msg>(pred: (m: Msg) => m is T, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const done = (v: T | undefined): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((x) => x !== l);
        resolve(v);
      };
      const l = (m: Msg): void => {
        if (pred(m)) done(m);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.listeners.push(l);
      void exited(this.child).then(() => done(undefined));
    });
  }

  /** Resolves with the counters once every terminal is online, or undefined after `timeoutMs`. */
  async online(timeoutMs: number): Promise<LoaderCounts | undefined> {
    if (this.last.online >= this.o.terminals) return this.last;
    return this.next((m): m is LoaderCounts & { type: 'online' } => m.type === 'online' && m.online >= this.o.terminals, timeoutMs);
  }

  go(): void {
    this.child.send({ cmd: 'go' });
  }

  /** Counters now and the answer latency since the previous mark. */
  mark(): Promise<LoaderMark | undefined> {
    const id = ++this.markId;
    const p = this.next((m): m is LoaderMark => m.type === 'mark' && m.id === id, 10_000);
    this.child.send({ cmd: 'mark', id });
    return p;
  }

  /** Stops sending, waits for answers in flight (≤ 10 s), returns the totals. */
  async stop(): Promise<LoaderCounts> {
    if (this.child.exitCode === null && this.child.connected) {
      const done = this.next((m): m is LoaderCounts & { type: 'done' } => m.type === 'done', 20_000);
      this.child.send({ cmd: 'stop' });
      await done;
    }
    await stopChild(this.child, 'SIGTERM', 5000);
    return this.last;
  }
}
