/**
 * The two servers of bench/ingest and bench/connections, each started as its own process:
 *   fleetgate  `node dist/src/main.js` (built first, as `npm start` does), FLEETGATE_* in the environment, a
 *              temporary data dir, FLEETGATE_CONN_RATE_PER_IP=0 (one host plays the fleet), ready when /health answers
 *   baseline   `node dist/bench/baseline.js` (the same build), ready when it prints its port
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnce, freePort, lines, spawnJs, stopChild, Tail } from './children.js';
import { sleep } from './stats.js';

export interface Server {
  kind: 'fleetgate' | 'baseline';
  pid: number;
  port: number;
  /** fleetgate only. */
  httpPort?: number;
  dataDir?: string;
  child: ChildProcess;
  /** Last lines of its stderr/stdout, for error messages. */
  tail: Tail;
  /** Graceful stop (SIGTERM; fleetgate drains its sink), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface FleetgateOptions {
  /** FLEETGATE_* overrides (without the prefix: { ACK: 'received' }). */
  env?: Record<string, string>;
  /** Node flags, e.g. --cpu-prof --cpu-prof-dir=… */
  nodeArgs?: string[];
  /** Keep the data dir after stop (to count rows afterwards). */
  keepData?: boolean;
  /** Run the gateway of another checkout (a candidate fix) instead of this one: built there, its cwd. */
  dir?: string;
  startTimeoutMs?: number;
}

export async function startFleetgate(o: FleetgateOptions = {}): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetgate-bench-'));
  const [port, httpPort] = [await freePort(), await freePort()];
  // The caller's FLEETGATE_* variables are not passed: the benchmark decides every setting it changes.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FLEETGATE_')) env[k] = v;
  Object.assign(env, {
    FLEETGATE_DATA_DIR: dataDir,
    FLEETGATE_HOST: '127.0.0.1',
    FLEETGATE_JT808_PORT: String(port),
    FLEETGATE_HTTP_PORT: String(httpPort),
    FLEETGATE_CONN_RATE_PER_IP: '0',
    FLEETGATE_LOG_LEVEL: 'warn',
  });
  for (const [k, v] of Object.entries(o.env ?? {})) env[`FLEETGATE_${k}`] = v;
  buildOnce(o.dir);
  const child = spawnJs('dist/src/main.js', [], { env, stdio: ['ignore', 'pipe', 'pipe'], nodeArgs: o.nodeArgs, ...(o.dir ? { cwd: o.dir } : {}) });
  const tail = new Tail(40);
  lines(child.stdout, tail.push);
  lines(child.stderr, tail.push);
  const deadline = Date.now() + (o.startTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fleetgate exited with ${child.exitCode} during start-up:\n${tail}`);
    try {
      const r = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child, 'SIGKILL');
      throw new Error(`fleetgate did not answer /health within ${o.startTimeoutMs ?? 90_000} ms:\n${tail}`);
    }
    await sleep(200);
  }
  return {
    kind: 'fleetgate',
    pid: child.pid ?? 0,
    port,
    httpPort,
    dataDir,
    child,
    tail,
    async stop(graceMs = 40_000) {
      const r = await stopChild(child, 'SIGTERM', graceMs);
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
      return r;
    },
  };
}

export async function startBaseline(nodeArgs: string[] = []): Promise<Server> {
  buildOnce();
  const child = spawnJs('dist/bench/baseline.js', ['--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], nodeArgs });
  const tail = new Tail(20);
  lines(child.stderr, tail.push);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline did not start:\n${tail}`)), 30_000);
    lines(child.stdout, (line) => {
      tail.push(line);
      try {
        const m = JSON.parse(line) as { port?: number };
        if (m.port) {
          clearTimeout(timer);
          resolve(m.port);
        }
      } catch {
        // not ours
      }
    });
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}:\n${tail}`)));
  });
  return {
    kind: 'baseline',
    pid: child.pid ?? 0,
    port,
    child,
    tail,
    stop: (graceMs = 5000) => stopChild(child, 'SIGTERM', graceMs),
  };
}

/** Prometheus text → value of one series (exact name with labels, e.g. `fleetgate_frames_total{msg_id="0x0200"}`). */
export async function scrape(s: Server): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!s.httpPort) return out;
  const r = await fetch(`http://127.0.0.1:${s.httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
  for (const line of (await r.text()).split('\n')) {
    if (!line.startsWith('fleetgate_')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}
