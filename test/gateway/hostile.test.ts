/**
 * Hostile input at the socket (issue #8, SECURITY.md): random and mutated frames over real connections,
 * oversize frames, endless 0x7d escapes, slow and half-open connections, connection floods from one address,
 * subpackage floods that never complete. Each attack must stay on its own connection, hit a limit, and show in
 * the counters (gatewayMetrics over createMetrics, as in production); a well-behaved terminal's answer latency
 * under a mixed attack is compared with its latency without one, in the same test. Loopback only, bounded.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import pino from 'pino';
import { Gateway } from '../../src/gateway/server.js';
import { FileRegistryStore } from '../../src/gateway/registry-store.js';
import type { FragmentStore } from '../../src/gateway/fragments.js';
import { TerminalRegistry } from '../../src/gateway/terminal-registry.js';
import { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from '../../src/gateway/types.js';
import { createMetrics, gatewayMetrics, type CounterFamily, type Metrics } from '../../src/metrics.js';
import { encodePacket, unescapeFrame, wrapFrame, type HeaderLayout } from '../../protocols/jt808/index.js';
import { encode0100, encode0102 } from '../../protocols/jt808/messages/register.js';
import { encode0200, encode0704 } from '../../protocols/jt808/messages/location.js';
import { splitBody } from '../../protocols/jt808/subpackage.js';
import { MemorySpool } from '../helpers/memory-spool.js';
import { TestTerminal } from '../helpers/terminal.js';

const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);
const REG = { province: 50, city: 100, makerId: 'FLEET', model: 'SIM-1', terminalId: 'T0001', plateColor: 1, plate: '渝A12345' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SEED = Number(process.env.HOSTILE_SEED ?? 808);

function report(i: number): Buffer {
  return encode0200({ status: 0x03, lat: 29.56 + (i % 1000) * 1e-4, lon: 106.55, speedKmh: 40, direction: 90, time: T0 + i * 1000 });
}

/** mulberry32: a seeded generator, so a failing fuzz run can be replayed with HOSTILE_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- rig --------------------------------------------------------------------------------------

interface Rig {
  gateway: Gateway;
  spool: MemorySpool;
  registry: TerminalRegistry;
  metrics: Metrics;
  port: number;
  fragments: FragmentStore;
  close(): Promise<void>;
}

async function boot(settings: Partial<GatewaySettings> = {}, opts: { perIp?: number; maxConnections?: number } = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-hostile-'));
  const spool = new MemorySpool(1);
  const registry = await TerminalRegistry.open(new FileRegistryStore(join(dir, 'terminals.jsonl')), 'open');
  const metrics = createMetrics({ defaultMetrics: false });
  const gateway = new Gateway({
    settings: { ...DEFAULT_GATEWAY_SETTINGS, ...settings },
    spool,
    registry,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    metrics: gatewayMetrics(metrics),
    maxConnections: opts.maxConnections ?? 2000,
    connectionsPerIpPerSecond: opts.perIp ?? 0,
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  // The store is internal to the gateway; the tests read its size to check the memory bounds.
  const fragments = (gateway as unknown as { ctx: { fragments: FragmentStore } }).ctx.fragments;
  return {
    gateway, spool, registry, metrics, port, fragments,
    async close() {
      await gateway.close();
      spool.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function registerAndAuth(rig: Rig, phone: string, layout: HeaderLayout = '2013'): Promise<TestTerminal> {
  const term = await TestTerminal.open(rig.port, phone, layout);
  const reg = await term.request(0x0100, encode0100(REG, layout === '2019' ? '2019' : '2013'));
  if (reg.result !== 0) throw new Error(`registration result ${reg.result}`);
  const code = reg.packet.body.subarray(3).toString('latin1');
  const auth = await term.request(0x0102, encode0102({ authCode: code, imei: '860000000000001', softwareVersion: '1' }, layout));
  if (auth.result !== 0) throw new Error(`auth result ${auth.result}`);
  return term;
}

/** Counter values by label (reads through prom-client, which folds the cells in). */
async function counts(family: CounterFamily<string> | CounterFamily<number>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await family.metric.get()).values) out[String(Object.values(v.labels)[0])] = v.value;
  return out;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** A raw socket from a chosen loopback address. */
function rawSocket(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed || s.readyState === 'closed') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ---- the fuzz corpus ----------------------------------------------------------------------------

const MSG_IDS = [0x0100, 0x0102, 0x0002, 0x0003, 0x0004, 0x0200, 0x0704, 0x0801, 0x0900, 0x0001, 0x0f0f, 0x8001, 0xffff, 0x0000];

/**
 * Frames a terminal might send, broken in every way we could think of: random bytes with delimiters; valid
 * frames of any id with random bodies, subpackage fields and layouts, then mutated on the wire (bit flips,
 * inserted/deleted bytes, stray 0x7e/0x7d, truncation); and header-level lies re-wrapped with a correct checksum
 * (body length, encryption bits, version flag, fragment index/total), so they get past the checksum.
 */
function corpus(r: () => number, phone: string, frames: number): Buffer {
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const out: Buffer[] = [];
  for (let k = 0; k < frames; k++) {
    const kind = r();
    if (kind < 0.15) {
      const b = bytes(1 + int(300));
      for (let i = 0; i < b.length; i += 1 + int(60)) b[i] = 0x7e;
      out.push(b);
      continue;
    }
    const msgId = MSG_IDS[int(MSG_IDS.length)];
    const layout: HeaderLayout = r() < 0.5 ? '2013' : '2019';
    const body = msgId === 0x0200 ? report(k) : msgId === 0x0100 ? encode0100(REG, layout) : bytes(int(r() < 0.9 ? 120 : 1023));
    const sub = r() < 0.2 ? { packetTotal: 1 + int(r() < 0.5 ? 4 : 65535), packetIndex: 0 } : {};
    if (sub.packetTotal) sub.packetIndex = int(sub.packetTotal + 2);
    const id = r() < 0.8 ? phone : String(10_000_000_000 + int(1e9));
    let wire: Buffer;
    try {
      wire = encodePacket({ msgId, layout, phoneBcd: id, serial: int(65536), ...(sub.packetTotal ? sub : {}) }, body);
    } catch {
      continue; // the encoder refuses out-of-range values (index 0): that is the codec's own guard
    }
    if (kind < 0.45) {
      // Header lies, re-wrapped with a valid checksum.
      const u = unescapeFrame(wire);
      if (!u.ok) continue;
      const p = Buffer.from(u.frame.subarray(0, -1));
      const lie = int(4);
      if (lie === 0) p.writeUInt16BE((p.readUInt16BE(2) & ~0x3ff) | int(1024), 2); // body length
      else if (lie === 1) p.writeUInt16BE(p.readUInt16BE(2) ^ (1 << (10 + int(6))), 2); // encryption / subpackage / version bits
      else if (lie === 2 && p.length > 20) p.writeUInt16BE(int(65536), p.length - body.length - 2); // fragment index or serial
      else p[int(p.length)] = int(256);
      out.push(wrapFrame(p));
      continue;
    }
    const m = Buffer.from(wire);
    const edits = 1 + int(3);
    let w: Buffer = m;
    for (let e = 0; e < edits; e++) {
      const at = int(w.length);
      switch (int(6)) {
        case 0:
          w[at] ^= 1 << int(8);
          break;
        case 1:
          w = Buffer.concat([w.subarray(0, at), w.subarray(at + 1)]);
          break;
        case 2:
          w = Buffer.concat([w.subarray(0, at), Buffer.from([int(256)]), w.subarray(at)]);
          break;
        case 3:
          w = Buffer.concat([w.subarray(0, at), Buffer.from([r() < 0.5 ? 0x7e : 0x7d]), w.subarray(at)]);
          break;
        case 4:
          w = w.subarray(0, Math.max(1, at));
          break;
        default:
          w = Buffer.concat([w, w.subarray(0, at)]);
      }
    }
    out.push(w);
  }
  return Buffer.concat(out);
}

async function writeAll(s: Socket | TestTerminal, data: Buffer, chunk = 4096): Promise<void> {
  const sock = 'socket' in s ? s.socket : s;
  for (let i = 0; i < data.length && !sock.destroyed; i += chunk) {
    if (!sock.write(data.subarray(i, i + chunk))) await new Promise((r) => sock.once('drain', r).once('close', r));
    if ((i / chunk) % 8 === 0) await new Promise((r) => setImmediate(r));
  }
}

// ---- tests --------------------------------------------------------------------------------------

t.test('fuzz: random and mutated frames over real sockets, authenticated and not', async (t) => {
  const rig = await boot({ maxFrameBytes: 2048, subpackageMaxBytes: 64 * 1024, subpackageTotalBytes: 256 * 1024 });
  t.teardown(() => rig.close());
  const good = await registerAndAuth(rig, '13900000300');
  t.teardown(() => good.end());
  const r = rng(SEED);
  const attackers: Array<{ sock: Socket | TestTerminal; data: Buffer }> = [];
  for (let i = 0; i < 4; i++) {
    const phone = `1390000031${i}`;
    const term = await registerAndAuth(rig, phone, i % 2 === 0 ? '2013' : '2019');
    attackers.push({ sock: term, data: corpus(r, phone, 2500) });
  }
  for (let i = 0; i < 4; i++) attackers.push({ sock: await rawSocket(rig.port, `127.0.0.${10 + i}`), data: corpus(r, `1390000032${i}`, 2500) });
  for (const a of attackers) if (!('socket' in a.sock)) a.sock.on('error', () => {});
  const bytes = attackers.reduce((n, a) => n + a.data.length, 0);
  const started = Date.now();
  await Promise.all(attackers.map((a) => writeAll(a.sock, a.data)));
  // While the attack is parsed, the good terminal is answered.
  t.equal((await good.request(0x0200, report(1), 10_000)).result, 0, 'a well-behaved terminal is served during the fuzz');
  await sleep(300);
  const bad = await counts(rig.metrics.badFrames);
  const closed = await counts(rig.metrics.connectionsClosed);
  t.comment(`fuzzed ${attackers.length} connections, ${bytes} bytes in ${Date.now() - started} ms (seed ${SEED}); bad frames by reason ${JSON.stringify(bad)}; closed ${JSON.stringify(closed)}`);
  t.ok(sum(bad) > 1000, 'bad frames counted by reason');
  for (const reason of ['BAD_CHECKSUM', 'LENGTH_MISMATCH', 'INVALID_ESCAPE']) t.ok((bad[reason] ?? 0) > 0, `${reason} seen and counted`);
  t.notOk(closed.internal, 'no connection closed by an exception in the gateway');
  t.ok(Object.keys(closed).every((k) => ['peer', 'auth_failures', 'takeover', 'idle', 'not'].includes(k)), `closes only for known reasons (${Object.keys(closed).join(', ') || 'none'})`);
  t.ok(rig.fragments.totalBytes <= 256 * 1024, `fragment memory within its bound (${rig.fragments.totalBytes} bytes)`);
  t.equal((await good.request(0x0200, report(2))).result, 0, 'and after it');
  t.equal(rig.gateway.sessions.get('13900000300')?.isClosed, false, 'its session untouched');
});

t.test('oversize frames and endless escapes: dropped, counted, resynced, memory bounded', async (t) => {
  const rig = await boot({ maxFrameBytes: 1024 });
  t.teardown(() => rig.close());
  const term = await registerAndAuth(rig, '13900000330');
  t.teardown(() => term.end());
  const huge = Buffer.concat([Buffer.from([0x7e]), Buffer.alloc(5000, 0x41), Buffer.from([0x7e])]);
  for (let i = 0; i < 5; i++) term.write(huge);
  t.equal((await term.request(0x0200, report(1))).result, 0, 'served after five oversize frames');
  t.equal((await counts(rig.metrics.badFrames)).FRAME_TOO_LONG, 5, 'five FRAME_TOO_LONG counted');

  // 4 MiB of 0x7d after a delimiter: one endless candidate, reported once, never buffered past the cap.
  const before = process.memoryUsage().arrayBuffers;
  term.write(Buffer.from([0x7e]));
  await writeAll(term, Buffer.alloc(4 << 20, 0x7d), 64 * 1024);
  await writeAll(term, Buffer.alloc(1 << 20, 0x7d).fill(0x01, 0, 1).fill(0x7d, 1), 64 * 1024);
  term.write(Buffer.from([0x7e]));
  t.equal((await term.request(0x0200, report(2), 10_000)).result, 0, 'the stream resyncs at the next 0x7e');
  t.equal((await counts(rig.metrics.badFrames)).FRAME_TOO_LONG, 6, 'the endless escape run counted once');
  t.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'no buffer grew with it');
  // Short invalid escapes: 0x7d followed by anything but 01/02.
  for (let i = 0; i < 10; i++) term.write(Buffer.from([0x7e, 0x02, 0x00, 0x7d, 0x03 + i, 0x7e]));
  t.equal((await term.request(0x0200, report(3))).result, 0);
  t.equal((await counts(rig.metrics.badFrames)).INVALID_ESCAPE, 10, 'ten INVALID_ESCAPE counted');
});

t.test('slow-loris (one byte per second, never a whole frame) is closed by the auth or idle timeout', async (t) => {
  // Three gateways, one rule each: unauthenticated with auth required; auth not required; authenticated.
  const withAuth = await boot({ authTimeoutMs: 2000, idleTimeoutMs: 60_000 });
  const noAuth = await boot({ requireAuth: false, idleTimeoutMs: 2000 });
  const afterAuth = await boot({ authTimeoutMs: 60_000, idleTimeoutMs: 2000 });
  t.teardown(() => Promise.all([withAuth.close(), noAuth.close(), afterAuth.close()]));
  const authed = await registerAndAuth(afterAuth, '13900000340');
  t.teardown(() => authed.end());
  const loris = [await rawSocket(withAuth.port), await rawSocket(noAuth.port), authed.socket];
  for (const s of loris) s.on('error', () => {});
  const prefix = encodePacket({ msgId: 0x0200, layout: '2013', phoneBcd: '13900000340', serial: 9 }, report(9));
  const started = Date.now();
  // Bounded: at most 8 bytes (8 s); the frame would need 40.
  const drip = setInterval(() => {
    const i = Math.floor((Date.now() - started) / 1000);
    for (const s of loris) if (!s.destroyed) s.write(prefix.subarray(i, i + 1));
  }, 1000);
  t.teardown(() => clearInterval(drip));
  const closed = await Promise.all(loris.map((s) => closedWithin(s, 8000)));
  clearInterval(drip);
  const took = Date.now() - started;
  t.same(closed, [true, true, true], `all three closed (${took} ms)`);
  t.equal((await counts(withAuth.metrics.connectionsClosed)).not, 1, 'auth required: "not authenticated in time"');
  t.equal((await counts(noAuth.metrics.connectionsClosed)).idle, 1, 'auth not required: idle (no complete frame)');
  t.equal((await counts(afterAuth.metrics.connectionsClosed)).idle, 1, 'authenticated: idle (no complete frame)');
  t.equal(afterAuth.gateway.sessions.size, 0, 'and its session released');
});

t.test('half-open and silent connections are reaped; a peer that never reads is cut off', async (t) => {
  const rig = await boot({ authTimeoutMs: 1000, idleTimeoutMs: 1500, drainTimeoutMs: 500 });
  t.teardown(() => rig.close());
  const silent = await rawSocket(rig.port);
  silent.on('error', () => {});
  const half = await rawSocket(rig.port);
  half.on('error', () => {});
  half.write(encodePacket({ msgId: 0x0002, layout: '2013', phoneBcd: '13900000350', serial: 1 }, Buffer.alloc(0)).subarray(0, 8));
  half.end(); // FIN after half a frame; the socket stays readable on our side
  const deaf = await registerAndAuth(rig, '13900000351');
  t.teardown(() => deaf.end());
  deaf.socket.pause(); // never reads its answers
  const heartbeat = deaf.frame(0x0002, Buffer.alloc(0), 1);
  const burst = Buffer.concat(Array.from({ length: 4096 }, () => heartbeat));
  let sent = 0;
  // Bounded: at most 64 MiB of heartbeats, stopped as soon as the gateway hangs up.
  while (!deaf.socket.destroyed && sent < 64 << 20 && !deaf.closed) {
    if (!deaf.socket.write(burst)) await Promise.race([new Promise((r) => deaf.socket.once('drain', r)), sleep(200)]);
    sent += burst.length;
    await new Promise((r) => setImmediate(r));
    if (rig.gateway.sessions.size === 0) break;
  }
  const results = await Promise.all([closedWithin(silent, 3000), closedWithin(half, 3000)]);
  t.same(results, [true, true], 'silent and half-closed connections closed');
  const gone = async () => {
    for (let i = 0; i < 60 && rig.gateway.sessions.size > 0; i++) await sleep(50);
    return rig.gateway.sessions.size === 0;
  };
  t.ok(await gone(), `the non-reading peer was disconnected (after ${(sent / 1024 / 1024).toFixed(1)} MiB of heartbeats)`);
  const closed = await counts(rig.metrics.connectionsClosed);
  t.comment(`closed: ${JSON.stringify(closed)}`);
  t.equal(closed.not, 1, 'the silent one: not authenticated in time');
  t.equal(closed.peer, 1, 'the half-closed one: peer closed');
  t.equal(closed.drain_timeout, 1, 'the deaf one: drain timeout');
  await sleep(100);
  t.equal(rig.gateway.connections, 0, 'no connection left');
});

t.test('connection flood from one address: rate-limited per IP, counted, others unaffected', async (t) => {
  const rig = await boot({ authTimeoutMs: 5000 }, { perIp: 20 });
  t.teardown(() => rig.close());
  const good = await registerAndAuth(rig, '13900000360');
  t.teardown(() => good.end());
  const flood: Socket[] = [];
  const attempts = 400;
  const started = performance.now();
  for (let i = 0; i < attempts; i++) {
    const s = connect({ port: rig.port, host: '127.0.0.1', localAddress: '127.0.0.66' });
    s.on('error', () => {});
    flood.push(s);
  }
  t.teardown(() => flood.forEach((s) => s.destroy()));
  const answered = await good.request(0x0200, report(1));
  t.equal(answered.result, 0, 'the terminal on another address is served during the flood');
  const other = await registerAndAuth(rig, '13900000361'); // a new connection from 127.0.0.1 still gets in
  t.teardown(() => other.end());
  // Every attempt reaches the gateway (bounded wait), then: admitted ≈ the bucket (20) + 20 per second it took.
  let rejected = 0;
  let admitted = 0;
  for (let i = 0; i < 100; i++) {
    rejected = (await counts(rig.metrics.connectionsRejected)).ip_rate ?? 0;
    admitted = rig.gateway.connections - 2;
    if (rejected + admitted >= attempts) break;
    await sleep(50);
  }
  const seconds = (performance.now() - started) / 1000;
  t.comment(`${attempts} connection attempts from 127.0.0.66 in ${seconds.toFixed(2)} s: ${admitted} admitted, ${rejected} refused`);
  t.ok(admitted <= 20 * (1 + seconds) + 2, `no more admitted than the rate allows (${admitted})`);
  t.equal(rejected + admitted, attempts, 'every other attempt refused and counted (ip_rate)');
});

t.test('subpackage floods that never complete: bounded per terminal and in total, counted', async (t) => {
  const per = 32 * 1024;
  const total = 96 * 1024;
  const rig = await boot({ subpackageMaxBytes: per, subpackageTotalBytes: total, subpackageTimeoutMs: 60_000 });
  t.teardown(() => rig.close());
  const flooders: TestTerminal[] = [];
  for (let i = 0; i < 6; i++) flooders.push(await registerAndAuth(rig, `1390000037${i}`));
  t.teardown(() => flooders.forEach((f) => f.end()));
  const piece = Buffer.alloc(900, 0x5a);
  // Each flooder: 40 sets of 100 fragments, sending fragments 1..5 of each (never the rest): 180 KB each.
  let last = 0;
  for (const f of flooders) {
    for (let set = 0; set < 40; set++) {
      const frames: Buffer[] = [];
      for (let k = 1; k <= 5; k++) frames.push(f.frame(0x0900, piece, (last = f.nextSerial()), { packetTotal: 100 + set, packetIndex: k }));
      f.write(Buffer.concat(frames));
    }
    await f.waitFor((a) => a.replySerial === last, 10_000);
    t.ok(rig.fragments.totalBytes <= total, `after flooder ${flooders.indexOf(f) + 1}: ${rig.fragments.totalBytes} bytes held (bound ${total})`);
  }
  const bad = await counts(rig.metrics.badFrames);
  t.ok((bad.FRAGMENT_MEMORY_BOUND ?? 0) > 0, `per-terminal evictions counted (${bad.FRAGMENT_MEMORY_BOUND})`);
  t.ok((bad.FRAGMENT_TOTAL_BOUND ?? 0) > 0, `total-bound evictions counted (${bad.FRAGMENT_TOTAL_BOUND})`);
  t.ok(rig.fragments.terminals <= Math.ceil(total / per) + 1, `${rig.fragments.terminals} terminals hold fragments`);

  // A well-behaved terminal's subpackaged batch still completes.
  const good = await registerAndAuth(rig, '13900000379');
  t.teardown(() => good.end());
  const items = Array.from({ length: 40 }, (_, i) => ({ status: 3, lat: 29.5, lon: 106.5, speedKmh: 10, direction: 0, time: T0 + i * 1000 }));
  const parts = splitBody(encode0704({ type: 1, items }), 400);
  const base = good.nextSerial();
  for (let k = 1; k < parts.length; k++) good.nextSerial();
  for (let k = 0; k < parts.length; k++) good.write(good.frame(0x0704, parts[k], base + k, { packetTotal: parts.length, packetIndex: k + 1 }));
  await good.waitFor((a) => a.replySerial === base + parts.length - 1);
  await sleep(50);
  const whole = rig.spool.records.filter((r) => r.data[1] & 0x04).length;
  t.equal(whole, 1, 'and is reassembled');
});

// ---- latency under a mixed attack, from another process ----------------------------------------

/**
 * The attacker, as a separate Node process (plain JS, node:net only), so its own CPU is not spent on the
 * gateway's event loop: junk streams (the fuzz corpus, paced), a connection flood from one address, slow-loris
 * sockets and endless-escape streams, each from its own loopback address. It attacks while told "on" (a line on
 * stdin), idles on "off", and stops on "stop" or by itself after `maxMs`.
 */
const ATTACKER = `
const net = require('node:net');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const corpus = fs.readFileSync(o.corpus);
const stats = { connects: 0, junkBytes: 0, escapeBytes: 0, lorisBytes: 0, floodAttempts: 0 };
let active = false;
let stopping = false;
const all = new Set();
function open(ip, kind) {
  const s = net.connect({ host: '127.0.0.1', port: o.port, localAddress: ip });
  s.kind = kind;
  s.on('error', () => {});
  s.on('data', () => {});
  s.on('connect', () => stats.connects++);
  all.add(s);
  s.on('close', () => {
    all.delete(s);
    if (kind !== 'flood' && !stopping) setTimeout(() => open(ip, kind), 50);
  });
  return s;
}
for (let i = 0; i < o.junk; i++) open('127.0.0.20', 'junk');
for (let i = 0; i < o.loris; i++) open('127.0.0.21', 'loris');
for (let i = 0; i < o.escapes; i++) open('127.0.0.22', 'escape');
let at = 0;
const pace = setInterval(() => {
  if (!active) return;
  for (const s of all) {
    if (s.pending || s.destroyed || s.writableLength > 65536) continue;
    if (s.kind === 'junk') {
      if (at + o.chunk > corpus.length) at = 0;
      s.write(corpus.subarray(at, at + o.chunk));
      at += o.chunk;
      stats.junkBytes += o.chunk;
    } else if (s.kind === 'escape') {
      // One delimiter, then 0x7d for ever: a candidate frame that never ends.
      s.write(s.opened ? Buffer.alloc(o.chunk, 0x7d) : Buffer.alloc(o.chunk, 0x7d).fill(0x7e, 0, 1));
      s.opened = true;
      stats.escapeBytes += o.chunk;
    }
  }
}, o.everyMs);
const drip = setInterval(() => {
  if (!active) return;
  for (const s of all) if (s.kind === 'loris' && !s.pending && !s.destroyed) { s.write(Buffer.from([0x7e])); stats.lorisBytes++; }
}, 1000);
const floods = [];
const flood = setInterval(() => {
  if (!active) return;
  for (let i = 0; i < o.floodPerTick; i++) { floods.push(open('127.0.0.23', 'flood')); stats.floodAttempts++; }
  while (floods.length > o.floodMax) floods.shift().destroy();
}, 10);
function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(pace); clearInterval(drip); clearInterval(flood);
  for (const s of all) s.destroy();
  process.stdout.write(JSON.stringify(stats) + '\\n');
  setTimeout(() => process.exit(0), 50);
}
let line = '';
process.stdin.on('data', (d) => {
  line += d.toString();
  let i;
  while ((i = line.indexOf('\\n')) >= 0) {
    const cmd = line.slice(0, i); line = line.slice(i + 1);
    if (cmd === 'on') active = true; else if (cmd === 'off') active = false; else if (cmd === 'stop') stop();
  }
});
process.stdin.on('end', stop);
setTimeout(stop, o.maxMs);
process.stdout.write('READY\\n');
`;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Sequential requests (one in flight, like a real terminal) for `ms`; answer latencies in ms appended to `into`. */
async function probe(term: TestTerminal, ms: number, from: number, into: number[]): Promise<number> {
  const end = performance.now() + ms;
  let i = from;
  while (performance.now() < end) {
    const t0 = performance.now();
    const a = await term.request(0x0200, report(i++), 10_000);
    if (a.result !== 0) throw new Error(`probe answered ${a.result}`);
    into.push(performance.now() - t0);
  }
  return i;
}

/** Answer latency percentiles, and the median over the windows of each window's event-loop delay p99. */
function summary(lat: number[], loopP99s: number[]): { p50: number; p99: number; n: number; loopP99: number } {
  const s = [...lat].sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), n: s.length, loopP99: percentile([...loopP99s].sort((a, b) => a - b), 0.5) };
}

t.test('a well-behaved terminal keeps its answer latency under a mixed attack', async (t) => {
  const rig = await boot({ maxFrameBytes: 2048, authTimeoutMs: 1000, idleTimeoutMs: 3000 }, { perIp: 50 });
  t.teardown(() => rig.close());
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-attack-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const corpusFile = join(dir, 'corpus.bin');
  await writeFile(corpusFile, corpus(rng(SEED + 1), '13900000390', 20_000));
  const good = await registerAndAuth(rig, '13900000399');
  t.teardown(() => good.end());

  // About 1 MiB/s of junk frames (≈10,000 bad frames/s), 0.4 MiB/s of endless escapes, 200 connection attempts/s
  // from one address, 40 slow-loris sockets.
  const options = { port: rig.port, corpus: corpusFile, maxMs: 30_000, junk: 4, loris: 40, escapes: 2, chunk: 1024, everyMs: 5, floodPerTick: 2, floodMax: 200 };
  const child = spawn(process.execPath, ['-e', ATTACKER, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  while (!out.includes('READY')) await sleep(20);
  await probe(good, 300, 0, []); // warm-up

  // Quiet and attack windows alternate, so both see the same background load. This machine is shared (other
  // jobs push its load average past 5 on 2 cores), so a noisy attempt is measured again, up to three times: a
  // gateway that really slows down under the attack fails all three.
  let i = 1000;
  let badDuring = 0;
  const attempts: Array<{ quiet: ReturnType<typeof summary>; attacked: ReturnType<typeof summary>; ok: boolean; cpu: [number, number] }> = [];
  for (let attempt = 0; attempt < 3 && !attempts.some((a) => a.ok); attempt++) {
    const quiet: number[] = [];
    const attacked: number[] = [];
    const loops: [number[], number[]] = [[], []]; // event-loop delay p99 of each quiet and attack window, ms
    const cpu: [number, number] = [0, 0]; // this process's CPU time in quiet and attack windows, µs
    const window = async (fn: () => Promise<void>, k: 0 | 1) => {
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      loop.disable();
      loops[k].push(loop.percentile(99) / 1e6);
      cpu[k] += c.user + c.system;
    };
    // Short windows, many rounds: a burst of background load lands on both conditions alike.
    for (let round = 0; round < 8; round++) {
      await window(async () => void (i = await probe(good, 300, i, quiet)), 0);
      child.stdin.write('on\n');
      await sleep(150); // ramp up
      const bad0 = sum(await counts(rig.metrics.badFrames));
      await window(async () => void (i = await probe(good, 300, i, attacked)), 1);
      badDuring += sum(await counts(rig.metrics.badFrames)) - bad0;
      child.stdin.write('off\n');
      await sleep(200); // what is buffered drains
    }
    const q = summary(quiet, loops[0]);
    const a = summary(attacked, loops[1]);
    // The bound: 2× the quiet windows' figure. Timer granularity puts a floor under "normal" (an answer waits for the
    // 1 ms group commit of the test spool), and p99 gets 10 ms of slack for the scheduler of a shared 2-core machine
    // (the attacker process and the other test files compete for the same cores). A gateway that really stalls
    // under the attack misses this by far, on p50 as well.
    attempts.push({ quiet: q, attacked: a, cpu, ok: a.p50 <= 2 * Math.max(q.p50, 1) && a.p99 <= 2 * Math.max(q.p99, 5) + 10 });
  }
  child.stdin.write('stop\n');
  await exited;

  const stats = JSON.parse(out.replace('READY', '').trim() || '{}') as Record<string, number>;
  const bad = await counts(rig.metrics.badFrames);
  const rejected = await counts(rig.metrics.connectionsRejected);
  const closed = await counts(rig.metrics.connectionsClosed);
  const f = (x: ReturnType<typeof summary>) => `p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms (${x.n} answers; event-loop delay p99 ${x.loopP99.toFixed(1)} ms, median of windows)`;
  t.comment(`attacker: ${JSON.stringify(stats)}; ${badDuring} bad frames parsed while the terminal was measured under attack`);
  for (const a of attempts) {
    const share = (us: number) => `${((us / 1e6 / 2.4) * 100).toFixed(0)} % of a core`;
    t.comment(`without attack: ${f(a.quiet)}, ${share(a.cpu[0])}; under attack: ${f(a.attacked)}, ${share(a.cpu[1])}${a.ok ? '' : ' (over 2×)'}`);
  }
  t.comment(`bad frames ${JSON.stringify(bad)}; refused ${JSON.stringify(rejected)}; closed ${JSON.stringify(closed)}`);

  t.ok(stats.junkBytes > 1 << 20, 'the attack ran (more than 1 MiB of junk)');
  t.ok(badDuring > 5000, 'and the gateway parsed it while the terminal was measured');
  t.ok((rejected.ip_rate ?? 0) > 50, 'the connection flood was rate-limited and counted');
  t.ok((bad.FRAME_TOO_LONG ?? 0) > 0, 'escape streams were cut at the frame limit');
  t.notOk(closed.internal, 'no connection closed by an exception');
  const last = attempts[attempts.length - 1];
  t.ok(last.ok, `p50 and p99 under attack within 2× of the quiet windows (p50 ${last.attacked.p50.toFixed(2)} vs ${last.quiet.p50.toFixed(2)} ms, p99 ${last.attacked.p99.toFixed(2)} vs ${last.quiet.p99.toFixed(2)} ms + 10 ms; attempt ${attempts.length} of at most 3)`);
});
