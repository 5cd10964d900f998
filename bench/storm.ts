/**
 * Reconnect storm, long form (issue #8; USERS.md pain point 7, feature 12): a whole fleet connected to one gateway
 * drops at once and comes back within a window; how long until every terminal is authenticated and answered
 * again, whether the gateway holds exactly one session per terminal afterwards, and whether its memory comes back.
 *
 *   npx tsx bench/storm.ts                                  # 19,000 terminals, clean drop, 10 s window, 2 storms
 *   npx tsx bench/storm.ts --terminals 12000 --stale 0.5    # half the old connections stay open: takeover path
 *   npx tsx bench/storm.ts --write                          # + replace the "Storm" section of bench/RESULTS.md
 *   npx tsx bench/storm.ts --serve --port 6808              # only the gateway, for the simulator (see serve())
 *
 * Options: --terminals N [19000], --procs P client processes [4], --window S reconnect window [10], --storms K [2],
 * --stale SHARE of terminals whose old connection stays open on the gateway's side [0], --reregister SHARE that send
 * 0x0100 again before 0x0102 [0.5], --per-ip R the gateway's FLEETGATE_CONN_RATE_PER_IP [200], --max-connections
 * [19000], --sources A-B loopback source addresses [127.0.0.2-127.0.0.50], --label TEXT for the CSV config,
 * --profile: V8 CPU profiles of the gateway process (one per thread) in bench/out/CPU.*.cpuprofile.
 *
 * One process per role, so each stays under the 20,000-descriptor limit: the gateway (real spool with group
 * fsync and durable answers, real file registry, production defaults: auth required, 200 connections/s per
 * address, 19,000 connections at most; run with --expose-gc so heap figures are taken after a full collection),
 * and P client processes of N/P lean terminals each (register once, keep the code; at the storm: close, or keep
 * the stale connection open, reconnect at a random moment of the window from a round-robin source address,
 * [re-register,] authenticate, report one position; refused or cut attempts retry after 100–500 ms).
 * Figures: JSON on stdout and bench/out/storm.json, CSV rows in bench/out/storm.csv. Loopback only; every
 * process stops by itself (the gateway and the clients exit when this process goes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { FrameSplitter, decodePacket, encodePacket } from '../protocols/jt808/index.js';
import { encode0100, encode0102 } from '../protocols/jt808/messages/register.js';
import { encode0200 } from '../protocols/jt808/messages/location.js';
import { Gateway } from '../src/gateway/server.js';
import { FileRegistryStore } from '../src/gateway/registry-store.js';
import { TerminalRegistry } from '../src/gateway/terminal-registry.js';
import { DEFAULT_GATEWAY_SETTINGS } from '../src/gateway/types.js';
import { createMetrics, gatewayMetrics } from '../src/metrics.js';
import { Spool } from '../src/spool/index.js';
import { load, machine, machineLine } from './lib/machine.js';
import { CsvOut, OUT_DIR, table, writeJson, writeSection } from './lib/record.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SELF = fileURLToPath(import.meta.url);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function expandSources(spec: string): string[] {
  const m = /^127\.0\.0\.(\d+)-127\.0\.0\.(\d+)$/.exec(spec);
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => `127.0.0.${Number(m[1]) + i}`);
  const list = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.every((a) => a.startsWith('127.'))) throw new Error('--sources: loopback addresses (127.0.0.0/8) only');
  return list;
}

// ---- messages between the roles -------------------------------------------------------------------

interface GatewayStats {
  sessions: number;
  connections: number;
  authenticated: number;
  /** 0x0102 frames received so far (each re-authentication is one). */
  auths: number;
  rejected: Record<string, number>;
  closed: Record<string, number>;
  rssMb: number;
  heapMb: number;
  /** V8 heap committed (used + free pages). */
  heapTotalMb: number;
  /** Buffers (ArrayBuffer backing stores, malloc'd outside the V8 heap). */
  externalMb: number;
}

interface Served {
  type: 'served';
  /** ms from the drop (Date.now based: every process shares the clock) to each terminal's answered position. */
  times: number[];
  retries: number;
  staleOpen: number;
}

// ---- gateway role ---------------------------------------------------------------------------------

interface RunningGateway {
  port: number;
  stats(gc: boolean): Promise<GatewayStats>;
  close(): Promise<void>;
}

/** The gateway as production wires it, minus storage: real spool (group fsync, durable answers), real registry. */
async function startGateway(dir: string, perIp: number, maxConnections: number, port = 0): Promise<RunningGateway> {
  const spool = await Spool.open({ dir: join(dir, 'spool'), fsyncIntervalMs: 2 });
  const registry = await TerminalRegistry.open(new FileRegistryStore(join(dir, 'terminals.jsonl')), 'open');
  const m = createMetrics({ defaultMetrics: false });
  const gateway = new Gateway({
    settings: { ...DEFAULT_GATEWAY_SETTINGS },
    spool,
    registry,
    log: pino({ level: 'warn' }),
    metrics: gatewayMetrics(m),
    maxConnections,
    connectionsPerIpPerSecond: perIp,
  });
  const addr = await gateway.listen(port, '127.0.0.1');
  const gc = (globalThis as { gc?: () => void }).gc;
  const values = async (family: { metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> } }) => {
    const out: Record<string, number> = {};
    for (const v of (await family.metric.get()).values) if (v.value > 0) out[String(Object.values(v.labels)[0])] = v.value;
    return out;
  };
  return {
    port: addr.port,
    async stats(full: boolean) {
      if (full && gc) for (let i = 0; i < 3; i++) gc();
      const mem = process.memoryUsage();
      return {
        sessions: gateway.sessions.size,
        connections: gateway.connections,
        authenticated: m.sessions.child('authenticated').value,
        auths: m.frames.child(0x0102).value,
        rejected: await values(m.connectionsRejected),
        closed: await values(m.connectionsClosed),
        rssMb: mem.rss / 2 ** 20,
        heapMb: mem.heapUsed / 2 ** 20,
        heapTotalMb: mem.heapTotal / 2 ** 20,
        externalMb: mem.external / 2 ** 20,
      };
    },
    async close() {
      await gateway.close();
      await spool.close();
      await registry.close();
    },
  };
}

async function gatewayRole(): Promise<void> {
  const gw = await startGateway(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
  process.on('message', (msg: { type: string; gc?: boolean }) => {
    if (msg.type === 'stats') void gw.stats(msg.gc === true).then((stats) => process.send!({ type: 'stats', stats }));
    else if (msg.type === 'stop') void gw.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0)); // the orchestrator went away
  process.send!({ type: 'ready', port: gw.port });
}

/**
 * `--serve`: the same gateway on its own, for another client such as the simulator
 * (`npx tsx simulator/cli.ts --port P --source-ips 127.0.0.2-127.0.0.50 --reconnect-storm 10 …`). Prints
 * "LISTENING <port>", then a line of figures every 5 s; stops on SIGINT/SIGTERM or after --serve-for S [900].
 */
async function serve(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-storm-'));
  const gw = await startGateway(dir, Number(arg('per-ip', '200')), Number(arg('max-connections', '19000')), Number(arg('port', '0')));
  process.stdout.write(`LISTENING ${gw.port}\n`);
  const started = Date.now();
  const tick = setInterval(() => {
    void gw.stats(false).then((s) =>
      process.stdout.write(
        `${((Date.now() - started) / 1000).toFixed(0)} s: sessions ${s.sessions} (authenticated ${s.authenticated}), connections ${s.connections}, ` +
          `0x0102 ${s.auths}, refused ${JSON.stringify(s.rejected)}, closed ${JSON.stringify(s.closed)}, rss ${s.rssMb.toFixed(0)} MB, heap ${s.heapMb.toFixed(1)} MB, buffers ${s.externalMb.toFixed(0)} MB\n`,
      ),
    );
  }, 5000);
  const stop = async () => {
    clearInterval(tick);
    const s = await gw.stats(true);
    process.stdout.write(`final (after GC): sessions ${s.sessions}, connections ${s.connections}, rss ${s.rssMb.toFixed(0)} MB, heap ${s.heapMb.toFixed(1)} MB\n`);
    await gw.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  setTimeout(() => void stop(), Number(arg('serve-for', '900')) * 1000);
}

// ---- clients role ---------------------------------------------------------------------------------

const REG = { province: 50, city: 100, makerId: 'FLEET', model: 'STORM', terminalId: 'T0001', plateColor: 1, plate: '渝A00000' };
const POSITION = encode0200({ status: 3, lat: 29.56, lon: 106.55, speedKmh: 30, direction: 0, time: Date.UTC(2026, 10, 26) });

class Terminal {
  code = '';
  socket: Socket | null = null;
  retries = 0;
  private serial = 0;
  private readonly splitter = new FrameSplitter(256);
  private readonly waiting = new Map<number, (r: { result: number; body: Buffer }) => void>();

  constructor(
    readonly phone: string,
    private readonly port: number,
  ) {}

  private open(localAddress: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ port: this.port, host: '127.0.0.1', localAddress });
      this.socket = s;
      this.splitter.reset();
      s.on('data', (chunk) => {
        if (this.socket !== s) return;
        this.splitter.push(chunk, {
          frame: (f) => {
            const d = decodePacket(f);
            if (!d.ok || d.value.body.length < 3) return;
            const b = d.value.body;
            const w = this.waiting.get(b.readUInt16BE(0));
            if (!w) return;
            this.waiting.delete(b.readUInt16BE(0));
            w({ result: d.value.header.msgId === 0x8100 ? b[2] : b[4], body: Buffer.from(b) });
          },
          error: () => {},
        });
      });
      s.once('connect', () => resolve());
      s.on('error', reject);
      s.once('close', () => {
        reject(new Error('closed'));
        if (this.socket !== s) return;
        for (const w of this.waiting.values()) w({ result: -1, body: Buffer.alloc(0) });
        this.waiting.clear();
      });
    });
  }

  private request(msgId: number, body: Buffer): Promise<{ result: number; body: Buffer }> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.resolve({ result: -1, body: Buffer.alloc(0) });
    const serial = this.serial++ & 0xffff;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(serial);
        resolve({ result: -2, body: Buffer.alloc(0) });
      }, 15_000);
      this.waiting.set(serial, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      s.write(encodePacket({ msgId, layout: '2013', phoneBcd: this.phone, serial }, body));
    });
  }

  /** Connects until served: [register,] authenticate, one position answered. */
  async comeBack(localAddress: string, reregister: boolean, giveUpAt: number): Promise<number> {
    for (;;) {
      try {
        await this.open(localAddress);
        if (reregister || this.code === '') {
          const reg = await this.request(0x0100, encode0100(REG, '2013'));
          if (reg.result !== 0) throw new Error(`register ${reg.result}`);
          this.code = reg.body.subarray(3).toString('latin1');
        }
        if ((await this.request(0x0102, encode0102({ authCode: this.code }, '2013'))).result !== 0) throw new Error('auth');
        if ((await this.request(0x0200, POSITION)).result !== 0) throw new Error('position');
        return Date.now();
      } catch {
        this.socket?.destroy();
        this.retries++;
        if (Date.now() > giveUpAt) return NaN;
        await sleep(100 + Math.random() * 400);
      }
    }
  }
}

async function clientsRole(): Promise<void> {
  const port = Number(process.argv[3]);
  const first = Number(process.argv[4]);
  const count = Number(process.argv[5]);
  const sources = process.argv[6].split(',');
  const terms = Array.from({ length: count }, (_, i) => new Terminal(String(first + i), port));
  let round = 0;
  process.on('message', (msg: { type: string; t0: number; windowMs: number; stale: number; reregister: number }) => {
    if (msg.type === 'wave') {
      round++;
      void (async () => {
        const stale: Socket[] = [];
        for (const x of terms) {
          if (x.socket && Math.random() < msg.stale) stale.push(x.socket);
          else x.socket?.destroy();
          x.socket = null;
        }
        const retriesBefore = terms.reduce((n, x) => n + x.retries, 0);
        const giveUpAt = msg.t0 + 120_000;
        const served = await Promise.all(
          terms.map((x, i) =>
            sleep(Math.max(0, msg.t0 + Math.random() * msg.windowMs - Date.now())).then(() =>
              x.comeBack(sources[(first + i + round) % sources.length], Math.random() < msg.reregister, giveUpAt),
            ),
          ),
        );
        await sleep(500);
        const reply: Served = {
          type: 'served',
          times: served.map((s) => s - msg.t0),
          retries: terms.reduce((n, x) => n + x.retries, 0) - retriesBefore,
          staleOpen: stale.filter((s) => !s.destroyed && s.readyState !== 'closed').length,
        };
        for (const s of stale) s.destroy();
        process.send!(reply);
      })();
    } else if (msg.type === 'leave') {
      for (const x of terms) {
        x.socket?.destroy();
        x.socket = null;
      }
      process.send!({ type: 'left' });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready' });
}

// ---- orchestrator ---------------------------------------------------------------------------------

function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', onMsg);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`${type}: child exited (${code})`));
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

/** TcpExt ListenDrops: SYNs dropped because a listen queue was full (machine-wide, not only this bench). */
function listenDrops(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const head = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[head].split(' ');
    const vals = lines[head + 1].split(' ');
    return Number(vals[names.indexOf('ListenDrops')]);
  } catch {
    return NaN;
  }
}

interface Wave {
  name: string;
  terminals: number;
  served: number;
  /** Seconds from the drop until the last terminal was answered again. */
  lastS: number;
  p50S: number;
  p99S: number;
  /** Seconds until the gateway held exactly one session and one connection per terminal. */
  settledS: number;
  retries: number;
  refused: number;
  listenDrops: number;
  staleOpen: number;
  after: GatewayStats;
}

async function orchestrate(): Promise<void> {
  const N = Number(arg('terminals', '19000'));
  const P = Number(arg('procs', '4'));
  const windowMs = Number(arg('window', '10')) * 1000;
  const storms = Number(arg('storms', '2'));
  const stale = Number(arg('stale', '0'));
  const reregister = Number(arg('reregister', '0.5'));
  const perIp = Number(arg('per-ip', '200'));
  const maxConnections = Number(arg('max-connections', '19000'));
  const sources = expandSources(arg('sources', '127.0.0.2-127.0.0.50'));
  const label = arg('label', '');
  const m = machine();
  const config = `${N} terminals, ${P} client procs, window ${windowMs / 1000} s, stale ${stale}, reregister ${reregister}, per-ip ${perIp}, max-conn ${maxConnections}, ${sources.length} sources${label ? `, ${label}` : ''}`;
  process.stderr.write(`${machineLine(m)}\nstorm: ${config}\n`);

  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-storm-'));
  const profile = process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${OUT_DIR}`] : [];
  const gw = fork(SELF, ['--gateway', dir, String(perIp), String(maxConnections)], { execArgv: [...process.execArgv, '--expose-gc', ...profile] });
  const clients: ChildProcess[] = [];
  const stop = () => {
    for (const c of [gw, ...clients]) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    const { port } = await once<{ port: number }>(gw, 'ready');
    const stats = async (gc = true): Promise<GatewayStats> => {
      const p = once<{ stats: GatewayStats }>(gw, 'stats');
      gw.send({ type: 'stats', gc });
      return (await p).stats;
    };
    const empty = await stats();
    const per = Math.ceil(N / P);
    for (let i = 0; i < P; i++) {
      const count = Math.min(per, N - i * per);
      const c = fork(SELF, ['--clients', String(port), String(13_700_000_000 + i * per), String(count), sources.join(',')], { execArgv: process.execArgv });
      clients.push(c);
    }
    await Promise.all(clients.map((c) => once(c, 'ready')));

    const wave = async (name: string): Promise<Wave> => {
      const before = await stats(false);
      const drops0 = listenDrops();
      const t0 = Date.now() + 200;
      const replies = clients.map((c) => once<Served>(c, 'served'));
      for (const c of clients) c.send({ type: 'wave', t0, windowMs, stale: name === 'start-up' ? 0 : stale, reregister: name === 'start-up' ? 1 : reregister });
      // Poll the gateway while the fleet comes back: when does it hold one session and one connection per terminal?
      let settledS = NaN;
      let done = false;
      void Promise.all(replies).then(() => (done = true));
      while (!done || Number.isNaN(settledS)) {
        const s = await stats(false);
        const everyone = s.auths - before.auths >= N; // the wave has reached every terminal
        if (Number.isNaN(settledS) && everyone && s.sessions === N && s.connections === N && s.authenticated === N) settledS = (Date.now() - t0) / 1000;
        if (done && (Date.now() - t0 > 180_000 || !Number.isNaN(settledS))) break;
        await sleep(100);
      }
      const got = await Promise.all(replies);
      const times = got.flatMap((r) => r.times).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      const after = await stats(true);
      const w: Wave = {
        name,
        terminals: N,
        served: times.length,
        lastS: times[times.length - 1] / 1000,
        p50S: quantile(times, 0.5) / 1000,
        p99S: quantile(times, 0.99) / 1000,
        settledS,
        retries: got.reduce((n, r) => n + r.retries, 0),
        refused: Object.values(after.rejected).reduce((a, b) => a + b, 0) - Object.values(before.rejected).reduce((a, b) => a + b, 0),
        listenDrops: listenDrops() - drops0,
        staleOpen: got.reduce((n, r) => n + r.staleOpen, 0),
        after,
      };
      process.stderr.write(
        `${name}: ${w.served}/${N} served, last ${w.lastS.toFixed(2)} s (p50 ${w.p50S.toFixed(2)}, p99 ${w.p99S.toFixed(2)}), gateway settled ${w.settledS.toFixed(2)} s; ` +
          `sessions ${after.sessions}, connections ${after.connections}; ${w.retries} retries, ${w.refused} refused, ${w.listenDrops} SYNs dropped; ` +
          `gateway rss ${after.rssMb.toFixed(0)} MB, heap ${after.heapMb.toFixed(1)} MB\n`,
      );
      return w;
    };

    const waves: Wave[] = [await wave('start-up')];
    const steady = waves[0].after;
    for (let k = 1; k <= storms; k++) waves.push(await wave(`storm ${k}`));
    const leaving = clients.map((c) => once(c, 'left'));
    for (const c of clients) c.send({ type: 'leave' });
    await Promise.all(leaving);
    let left = await stats(false);
    for (let i = 0; i < 100 && (left.connections > 0 || left.sessions > 0); i++) {
      await sleep(100);
      left = await stats(false);
    }
    left = await stats(true);
    const loadEnd = load();

    const result = { bench: 'storm', machine: m, loadEnd, config, empty, steady, waves, left };
    console.log(JSON.stringify(result, null, 2));
    writeJson('storm', result);
    const csv = new CsvOut('storm', m);
    for (const w of waves) {
      const cfg = `${config}, ${w.name}`;
      csv.row(cfg, 'last_served_s', round(w.lastS, 2));
      csv.row(cfg, 'p99_served_s', round(w.p99S, 2));
      csv.row(cfg, 'settled_s', round(w.settledS, 2));
      csv.row(cfg, 'sessions_after', w.after.sessions);
      csv.row(cfg, 'gateway_rss_mb', round(w.after.rssMb, 0));
      csv.row(cfg, 'gateway_heap_mb', round(w.after.heapMb, 1));
    }
    if (process.argv.includes('--write')) writeSection('Storm', markdown(result));
    gw.send({ type: 'stop' });
    await new Promise((r) => gw.once('exit', r));
  } finally {
    stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(x: number, d: number): number {
  return Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN;
}

function markdown(r: { machine: ReturnType<typeof machine>; loadEnd: [number, number, number]; config: string; empty: GatewayStats; steady: GatewayStats; waves: Wave[]; left: GatewayStats }): string {
  const mb = (x: number) => x.toFixed(0);
  const rows = r.waves.map((w) => [
    w.name,
    `${w.served.toLocaleString('en-US')} / ${w.terminals.toLocaleString('en-US')}`,
    w.lastS.toFixed(2),
    `${w.p50S.toFixed(2)} / ${w.p99S.toFixed(2)}`,
    w.settledS.toFixed(2),
    `${w.after.sessions.toLocaleString('en-US')} / ${w.after.connections.toLocaleString('en-US')}`,
    `${w.retries} / ${w.refused}`,
    mb(w.after.rssMb),
    w.after.heapMb.toFixed(1),
    mb(w.after.externalMb),
  ]);
  return [
    `Command: \`npx tsx bench/storm.ts ${process.argv.slice(2).filter((a) => a !== '--write').join(' ')}\`. ${r.config}.`,
    '',
    machineLine(r.machine, r.loadEnd),
    '',
    table(
      ['wave', 'served', 'last answered (s after drop)', 'p50 / p99 (s)', 'gateway settled (s)', 'sessions / connections after', 'retries / refused', 'gateway RSS (MB)', 'heap (MB)', 'buffers (MB)'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
    ),
    '',
    'Times are from the drop; "gateway settled" is when the gateway held exactly one authenticated session and one ' +
      'connection per terminal again, with every terminal\'s 0x0102 received. Memory is taken after a full GC, each wave once settled; ' +
      '"buffers" is memory outside the V8 heap (socket and frame buffers).',
    '',
    `Gateway memory: empty ${mb(r.empty.rssMb)} MB RSS / ${r.empty.heapMb.toFixed(1)} MB heap / ${mb(r.empty.externalMb)} MB buffers; ` +
      `with the fleet connected before the storms ${mb(r.steady.rssMb)} / ${r.steady.heapMb.toFixed(1)} / ${mb(r.steady.externalMb)} MB; ` +
      `after everyone left ${mb(r.left.rssMb)} / ${r.left.heapMb.toFixed(1)} / ${mb(r.left.externalMb)} MB (sessions ${r.left.sessions}, connections ${r.left.connections}).`,
  ].join('\n');
}

const role = process.argv[2];
if (role === '--gateway') await gatewayRole();
else if (role === '--clients') await clientsRole();
else if (process.argv.includes('--serve')) await serve();
else await orchestrate();
