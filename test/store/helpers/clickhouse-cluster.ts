/**
 * A throw-away ClickHouse cluster on loopback: one ZooKeeper (Debian's `zookeeper` package) and N
 * clickhouse-server nodes (Debian's 18.16), one shard each, named `fg` in `remote_servers`, with `{shard}` and
 * `{replica}` macros and distributed DDL. Everything lives in temp dirs and is killed by PID at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../helpers/free-port.js';
import { startServer, type RunningServer, type ServerBinary } from './clickhouse-server.js';

const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
export const CLUSTER_NAME = 'fg';

export interface ZooKeeperBinary {
  java: string;
  jar: string;
}

/** ZooKeeper's jar and a JVM, or the reason there are none. */
export function findZooKeeper(): ZooKeeperBinary | string {
  if (!existsSync(ZOOKEEPER_JAR)) return 'ZooKeeper is not installed (apt-get install -y zookeeper)';
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin'])) {
    const java = path.join(dir, 'java');
    if (existsSync(java)) return { java, jar: ZOOKEEPER_JAR };
  }
  return 'no java on PATH for ZooKeeper (apt-get install -y zookeeper pulls a JRE)';
}

/** True once ZooKeeper answers the `srvr` four-letter command (the one allowed by default): it serves sessions. */
function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const s = net.connect(port, '127.0.0.1', () => s.end('srvr'));
    s.setTimeout(1000, () => s.destroy());
    s.on('data', (b: Buffer) => (reply += b.toString()));
    s.once('close', () => resolve(/Mode: standalone/.test(reply)));
    s.once('error', () => resolve(false));
  });
}

/** Waits until the node's ZooKeeper session works: 18.16 crashes on distributed DDL issued before that. */
async function zooKeeperReady(url: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const res = await fetch(url, { method: 'POST', body: "SELECT count() FROM system.zookeeper WHERE path = '/'" }).catch(() => undefined);
    if (res?.ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${url} has no ZooKeeper session after ${timeoutMs} ms: ${await res?.text()}`);
    await sleep(200);
  }
}

async function startZooKeeper(zk: ZooKeeperBinary, timeoutMs: number): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-zk-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'zoo.cfg'),
    `tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`,
  );
  const child: ChildProcess = spawn(zk.java, ['-Xmx256m', '-cp', zk.jar, 'org.apache.zookeeper.server.ZooKeeperServerMain', path.join(dir, 'zoo.cfg')], {
    cwd: dir,
    stdio: 'ignore',
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const t0 = Date.now();
  while (!(await serving(port))) {
    if (child.exitCode !== null || Date.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(`ZooKeeper did not listen on ${port} within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
  return { port, stop };
}

export interface RunningCluster {
  name: string;
  /** HTTP URL of each node, shard 1 first. */
  urls: string[];
  stop(): Promise<void>;
}

export async function startCluster(bin: ServerBinary, zk: ZooKeeperBinary, shards = 2, timeoutMs = 60_000): Promise<RunningCluster> {
  const keeper = await startZooKeeper(zk, timeoutMs);
  const nodes: { http: number; tcp: number; interserver: number }[] = [];
  for (let i = 0; i < shards; i++) nodes.push({ http: await freePort(), tcp: await freePort(), interserver: await freePort() });
  const remote = nodes.map((n) => `<shard><replica><host>127.0.0.1</host><port>${n.tcp}</port></replica></shard>`).join('');
  const servers: RunningServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    await keeper.stop();
  };
  try {
    for (const [i, n] of nodes.entries()) {
      servers.push(
        await startServer(bin, {
          timeoutMs,
          port: n.http,
          extraXml:
            `<tcp_port>${n.tcp}</tcp_port><interserver_http_port>${n.interserver}</interserver_http_port>` +
            `<interserver_http_host>127.0.0.1</interserver_http_host>` +
            `<zookeeper><node><host>127.0.0.1</host><port>${keeper.port}</port></node></zookeeper>` +
            `<remote_servers><${CLUSTER_NAME}>${remote}</${CLUSTER_NAME}></remote_servers>` +
            `<macros><shard>${i + 1}</shard><replica>node${i + 1}</replica></macros>` +
            `<distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`,
        }),
      );
      await zooKeeperReady(servers[i].url, timeoutMs);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: CLUSTER_NAME, urls: servers.map((s) => s.url), stop };
}
