#!/usr/bin/env node
/**
 * `npm run demo`: starts the gateway on the embedded default (a throwaway data dir unless
 * FLEETGATE_DATA_DIR is set), plays a 200-terminal fleet against it, then prints the API URLs to open
 * and keeps the gateway running until Ctrl-C. The gateway runs as a child process: the simulator
 * imports nothing of the gateway.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');
const jt808Port = process.env.FLEETGATE_JT808_PORT ?? '6808';
const httpPort = process.env.FLEETGATE_HTTP_PORT ?? '8080';
const dataDir = process.env.FLEETGATE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'fleetgate-demo-'));
const node = (script: string) => (fromSource ? ['--import', 'tsx', join(root, script + '.ts')] : [join(root, 'dist', script + '.js')]);

const gateway = spawn(process.execPath, [...node('src/main'), '--log-level', 'warn'], {
  env: { ...process.env, FLEETGATE_DATA_DIR: dataDir, FLEETGATE_JT808_PORT: jt808Port, FLEETGATE_HTTP_PORT: httpPort, FLEETGATE_CONN_RATE_PER_IP: '0' },
  stdio: 'inherit',
});
gateway.on('exit', (code) => {
  console.error(`gateway exited (${code})`);
  process.exit(code ?? 1);
});

async function waitReady(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${httpPort}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('gateway did not become healthy in 60 s');
}

await waitReady();
console.log(`gateway up (data in ${dataDir}); playing 200 terminals for 60 s …`);
const sim = spawn(process.execPath, [...node('simulator/cli'), '--port', jt808Port, '--terminals', '200', '--rate', '2', '--duration', '60', '--api', `http://127.0.0.1:${httpPort}`], {
  stdio: 'inherit',
});
sim.on('exit', (code) => {
  // The simulator printed the API URLs to open (--api).
  console.log(`\nsimulator finished (${code}); also http://127.0.0.1:${httpPort}/metrics and /ready. The gateway keeps running; Ctrl-C stops it.`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => gateway.kill('SIGTERM'));
