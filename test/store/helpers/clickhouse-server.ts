/**
 * Starts a throw-away clickhouse-server (Debian's 18.16 in CI) on a free port from a minimal config in a temp
 * dir, waits for /ping, and kills it at the end. `findServer()` says why it cannot when the binary is absent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../helpers/free-port.js';

export interface ServerBinary {
  cmd: string;
  args: string[];
}

/** The server binary, or a reason string when there is none. */
export function findServer(): ServerBinary | string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
    if (existsSync(path.join(dir, 'clickhouse-server'))) return { cmd: path.join(dir, 'clickhouse-server'), args: [] };
  }
  const single = spawnSync('clickhouse', ['server', '--help'], { stdio: 'ignore' });
  if (single.status === 0) return { cmd: 'clickhouse', args: ['server'] };
  return 'clickhouse-server is not installed (apt-get install -y clickhouse-server)';
}


/**
 * Writes a minimal users.xml + config.xml for a throwaway server listening on 127.0.0.1:`port`;
 * `extraXml` goes inside the root element (a cluster's ports, ZooKeeper, macros).
 */
export function writeServerConfig(dir: string, port: number, extraXml = ''): void {
  // Root element <yandex> is what 18.16 reads; newer servers accept it as well.
  writeFileSync(
    path.join(dir, 'users.xml'),
    `<?xml version="1.0"?><yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>`,
  );
  writeFileSync(
    path.join(dir, 'config.xml'),
    `<?xml version="1.0"?><yandex>
<logger><level>warning</level><console>1</console></logger>
<http_port>${port}</http_port><listen_host>127.0.0.1</listen_host>
<path>${dir}/data/</path><tmp_path>${dir}/tmp/</tmp_path>
<users_config>${dir}/users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
<mark_cache_size>67108864</mark_cache_size>${extraXml}</yandex>`,
  );
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  timeoutMs?: number;
  /** HTTP port (default: a free one). */
  port?: number;
  extraXml?: string;
}

export async function startServer(bin: ServerBinary, o: StartOptions = {}): Promise<RunningServer> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-chserver-'));
  const port = o.port ?? (await freePort());
  writeServerConfig(dir, port, o.extraXml);
  const child: ChildProcess = spawn(bin.cmd, [...bin.args, `--config-file=${path.join(dir, 'config.xml')}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`clickhouse-server exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(`clickhouse-server did not answer /ping within ${timeoutMs} ms: ${stderr}`);
    }
    await sleep(100);
  }
}
