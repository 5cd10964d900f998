/**
 * Auth codes (SECURITY.md): 128 random bits each, compared in constant time (through crypto.timingSafeEqual on
 * equal-length digests, whatever was presented), never logged (not even as hex in a debug dump of a bad
 * frame), and kept in a registry file only the gateway's user can read.
 */
import t from 'tap';
import crypto from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../src/gateway/server.js';
import { FileRegistryStore, type RegistryStore, type TerminalRecord } from '../../src/gateway/registry-store.js';
import { TerminalRegistry } from '../../src/gateway/terminal-registry.js';
import { DEFAULT_GATEWAY_SETTINGS } from '../../src/gateway/types.js';
import { createLogger } from '../../src/log.js';
import { encode0100, encode0102 } from '../../protocols/jt808/messages/register.js';
import { encode0200 } from '../../protocols/jt808/messages/location.js';
import { MemorySpool } from '../helpers/memory-spool.js';
import { TestTerminal } from '../helpers/terminal.js';

const REG = { province: 50, city: 100, makerId: 'FLEET', model: 'SIM-1', terminalId: 'T0001', plateColor: 1, plate: '渝A12345' };

class MemoryStore implements RegistryStore {
  readonly saved: TerminalRecord[] = [];
  async loadAll(): Promise<TerminalRecord[]> {
    return [];
  }
  async save(records: TerminalRecord[]): Promise<void> {
    this.saved.push(...records);
  }
  async close(): Promise<void> {}
}

t.test('codes: distinct, 128 random bits, balanced bits', async (t) => {
  const registry = await TerminalRegistry.open(new MemoryStore(), 'open');
  const N = 4096;
  const codes = await Promise.all(Array.from({ length: N }, (_, i) => registry.register(`1390000${String(i).padStart(4, '0')}`, {}, 0)))
    .then((outs) => outs.map((o) => (o.result === 0 ? o.authCode : '')));
  t.equal(new Set(codes).size, N, `${N} registrations, ${N} different codes`);
  t.ok(codes.every((c) => /^[A-Za-z0-9_-]{22}$/.test(c)), 'each 22 base64url characters (ASCII: safe in any terminal STRING field)');
  const raw = codes.map((c) => Buffer.from(c, 'base64url'));
  t.ok(raw.every((b) => b.length === 16), 'each decodes to 16 bytes = 128 bits');
  // Every one of the 128 bit positions is set in about half of the codes: a constant, a counter or a clock
  // in any part of the code would sit near 0 % or 100 %. With 4096 codes one standard deviation is 0.8 %.
  let worst = 0;
  for (let bit = 0; bit < 128; bit++) {
    let ones = 0;
    for (const b of raw) ones += (b[bit >> 3] >> (7 - (bit & 7))) & 1;
    worst = Math.max(worst, Math.abs(ones / N - 0.5));
  }
  t.ok(worst < 0.05, `every bit position set in 50 % ± 5 % of codes (worst deviation ${(worst * 100).toFixed(2)} %)`);
  // Byte values spread evenly: chi-square over 256 bins, 65,536 bytes; 99.99th percentile of chi²(255) ≈ 361.
  const bins = new Array<number>(256).fill(0);
  for (const b of raw) for (const x of b) bins[x]++;
  const expected = (N * 16) / 256;
  const chi2 = bins.reduce((s, n) => s + (n - expected) ** 2 / expected, 0);
  t.ok(chi2 < 361, `byte values uniform (chi² ${chi2.toFixed(1)} with 255 degrees of freedom)`);
  const again = await registry.register('13900000000', {}, 1);
  t.equal(again.result === 0 && again.authCode, codes[0], 'a terminal that registers again keeps its code (see SECURITY.md, known limits)');
});

t.test('verify(): timingSafeEqual on two 32-byte digests, whatever the presented length', async (t) => {
  const registry = await TerminalRegistry.open(new MemoryStore(), 'open');
  const out = await registry.register('13900000001', {}, 0);
  if (out.result !== 0) throw new Error('registration refused');
  const code = out.authCode;
  const calls: Array<[number, number]> = [];
  const original = crypto.timingSafeEqual;
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.push([a.byteLength, b.byteLength]);
    return original(a, b);
  }) as typeof crypto.timingSafeEqual;
  syncBuiltinESMExports(); // the registry's `import { timingSafeEqual }` now sees the spy
  t.teardown(() => {
    crypto.timingSafeEqual = original;
    syncBuiltinESMExports();
  });

  t.ok(registry.verify('13900000001', code), 'the right code passes');
  const candidates: string[] = [];
  // Prefixes and extensions of the right code, every length 0..64 (length 22 is the code itself: skipped).
  for (let len = 0; len <= 64; len++) candidates.push(code.repeat(3).slice(0, len));
  candidates.push(code.slice(0, -1) + (code.endsWith('x') ? 'y' : 'x')); // last character off
  candidates.push((code[0] === 'x' ? 'y' : 'x') + code.slice(1)); // first character off
  candidates.push(code + '\0', ` ${code}`, code.toUpperCase() === code ? code.toLowerCase() : code.toUpperCase(), '\u00e9'.repeat(22));
  const wrong = candidates.filter((w) => w !== code);
  const results = wrong.map((w) => registry.verify('13900000001', w));
  t.ok(results.every((r) => r === false), `wrong codes of every length 0..64 and near misses refused (${wrong.length} tried)`);
  t.equal(calls.length, wrong.length + 1, 'every check, right or wrong, goes through timingSafeEqual');
  t.ok(calls.every(([a, b]) => a === 32 && b === 32), 'always on two SHA-256 digests: no early exit on length');
  const before = calls.length;
  t.equal(registry.verify('13999999999', code), false, 'unknown terminal refused');
  t.equal(registry.verify('13999999999', ''), false, 'empty code for an unknown terminal refused');
  t.equal(calls.length, before, '(an unknown id has nothing to compare: no secret involved)');
});

t.test('codes never reach the log, even at trace level with hex dumps of bad frames', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-sec-'));
  const lines: string[] = [];
  const log = createLogger({ logLevel: 'trace' }, { destination: { write: (s: string) => void lines.push(s) } });
  const spool = new MemorySpool(1);
  const registry = await TerminalRegistry.open(new FileRegistryStore(join(dir, 'terminals.jsonl')), 'open');
  const gateway = new Gateway({
    settings: { ...DEFAULT_GATEWAY_SETTINGS, maxFrameBytes: 1024 },
    spool,
    registry,
    log,
    maxConnections: 100,
    connectionsPerIpPerSecond: 0,
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  t.teardown(async () => {
    await gateway.close();
    spool.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  const codes: string[] = [];
  for (const layout of ['2013', '2019'] as const) {
    const phone = layout === '2019' ? '13900000202' : '13900000201';
    const term = await TestTerminal.open(port, phone, layout);
    const reg = await term.request(0x0100, encode0100(REG, layout === '2019' ? '2019' : '2013'));
    const code = reg.packet.body.subarray(3).toString('latin1');
    codes.push(code);
    const auth = encode0102({ authCode: code, imei: '860000000000001', softwareVersion: '1.0' }, layout);
    // Bad checksum on a frame carrying the right code: dropped, answered "message error", dumped at debug.
    const badSum = term.frame(0x0102, auth);
    badSum[badSum.length - 2] ^= 0x55;
    term.write(badSum);
    // Invalid escape after the code, and an oversize 0x0102 that starts with the code: both dumped at debug.
    const head = term.frame(0x0102, auth).subarray(0, -2);
    term.write(Buffer.concat([head, Buffer.from([0x7d, 0x03, 0x7e])]));
    term.write(Buffer.concat([head, Buffer.alloc(2000, 0x41), Buffer.from([0x7e])]));
    t.equal((await term.request(0x0102, encode0102({ authCode: code.slice(1) }, layout))).result, 1, `${layout}: wrong code refused (logged)`);
    t.equal((await term.request(0x0102, auth)).result, 0, `${layout}: right code accepted`);
    t.equal((await term.request(0x0200, encode0200({ status: 3, lat: 29.5, lon: 106.5, speedKmh: 1, direction: 0, time: Date.UTC(2026, 0, 1) }))).result, 0);
    // Register again on the same connection (the answer carries the code again), then a takeover.
    await term.request(0x0100, encode0100(REG, layout === '2019' ? '2019' : '2013'));
    const second = await TestTerminal.open(port, phone, layout);
    t.equal((await second.request(0x0102, auth)).result, 0, `${layout}: takeover`);
    await term.closedWithin(1000);
    await second.request(0x0003, Buffer.alloc(0));
    second.end();
  }
  await new Promise((r) => setTimeout(r, 100));

  const text = lines.join('');
  t.ok(/bad frame/.test(text) && /authentication failed/.test(text) && /connection closed/.test(text), `${lines.length} log lines written, bad-frame dumps included`);
  for (const code of codes) {
    const hex = Buffer.from(code, 'latin1').toString('hex');
    t.notOk(text.includes(code), 'the code is not in the log');
    t.notOk(text.toLowerCase().includes(hex), 'nor its hex');
    // Not even a 6-byte piece of it in a truncated dump.
    const pieces = Array.from({ length: hex.length / 2 - 5 }, (_, i) => hex.slice(i * 2, i * 2 + 12));
    t.notOk(pieces.some((p) => text.includes(p)), 'nor any 6-byte piece of its hex');
    t.notOk(text.includes(Buffer.from(code).toString('base64')), 'nor its base64');
  }
  const mode = (await stat(join(dir, 'terminals.jsonl'))).mode & 0o777;
  t.equal(mode, 0o600, 'the registry file, which holds the codes, is readable by its owner only');
});
