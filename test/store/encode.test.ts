import t from 'tap';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { encodeBytes, encodeRows, ignitionCodec, positionCodec, validPosition } from '../../src/store/encode.js';
import type { PositionRow } from '../../src/store/rows.js';
import { fakeIgnition, fakePosition } from './helpers/fake-decode.js';

const fleet = { terminals: 10, base: 1_773_000_000 };

t.test('compact and object lines carry every field under its column', async (t) => {
  const row = { ...fakePosition(25, fleet), extras: '2504000000ff' };
  const compact = positionCodec('JSONCompactEachRow', 'extras_hex');
  const values = JSON.parse(compact.line(row));
  t.same(Object.fromEntries(compact.columns.map((c, i) => [c, values[i]])), {
    terminal: row.terminal, ts: row.ts, recv_delay: row.recvTs - row.ts, lat: row.latE6, lon: row.lonE6, speed: row.speed,
    direction: row.direction, altitude: row.altitude, alarm: row.alarm, status: row.status, odometer: row.odometer,
    fuel: row.fuel, satellites: row.satellites, signal: row.signal, backfill: row.backfill, extras_hex: row.extras,
  });
  const obj = positionCodec('JSONEachRow', 'extras');
  t.same(Object.keys(JSON.parse(obj.line(row))), obj.columns);
  const ign = ignitionCodec('JSONCompactEachRow');
  const e = fakeIgnition(20 * fleet.terminals, fleet)!;
  t.same(JSON.parse(ign.line(e)), [e.terminal, e.ts, e.on, e.latE6, e.lonE6]);
});

t.test('rows that do not fit the columns are rejected, not sent', async (t) => {
  const good = fakePosition(1, fleet);
  const bad = [
    { ...good, terminal: 'a"b' },
    { ...good, terminal: '' },
    { ...good, speed: 70_000 },
    { ...good, latE6: 91_000_000 },
    { ...good, ts: 1.5 },
    { ...good, ts: 0 }, // the decoder's "no valid device time"
    { ...good, satellites: 256 },
    { ...good, backfill: 2 as 0 },
    { ...good, extras: 'abc' },
    { ...good, extras: 'zz' },
    { ...good, odometer: Number.NaN },
    { ...good, recvTs: good.ts + 2 ** 31 },
  ];
  for (const b of bad) t.notOk(validPosition(b), JSON.stringify(b).slice(0, 80));
  const body = await encodeRows([good, ...bad, good], positionCodec('JSONCompactEachRow', 'extras_hex'));
  t.equal(body.rows, 2);
  t.equal(body.rejected, bad.length);
  t.equal(Buffer.concat(body.chunks).toString().split('\n').length - 1, 2);
});

t.test('same rows → same digest; encoding yields to the event loop between 1000-row slices', async (t) => {
  const rows = Array.from({ length: 60_000 }, (_, i) => fakePosition(i, fleet));
  const codec = positionCodec('JSONCompactEachRow', 'extras_hex');
  const h = monitorEventLoopDelay({ resolution: 1 });
  // A chain of immediates advances once per loop turn: it can only keep pace if the encoder yields after every slice.
  let turns = 0;
  let spinning = true;
  const spin = (): void => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  h.enable();
  const cpu0 = process.cpuUsage();
  const a = await encodeRows(rows, codec);
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  spinning = false;
  t.equal(a.chunks.length, 60);
  t.ok(turns >= a.chunks.length - 1, `the loop turned ${turns} times while encoding ${a.chunks.length} slices`);
  // CPU per slice is what the loop waits for at most; wall-clock stalls also include the OS scheduler on a busy host.
  const sliceMs = (cpu.user + cpu.system) / 1000 / a.chunks.length;
  t.ok(sliceMs < 5, `${sliceMs.toFixed(2)} ms of CPU per slice`);
  t.comment(`longest event-loop stall ${(h.max / 1e6).toFixed(1)} ms (wall clock, includes the host's scheduling)`);
  const b = await encodeRows(rows, codec);
  t.equal(a.digest, b.digest);
  const other = await encodeRows(rows.slice(1), codec);
  t.not(other.digest, a.digest);
});

/** Rows over the edges of every column: signs, zeros, one and ten digits, u32 max, i32 min, empty and long extras. */
function edgeRows(n: number): PositionRow[] {
  const ints = [0, 1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, 2_147_483_647, 4_294_967_295];
  const signed = [0, -1, 1, -9, -10, 99, -100, 90_000_000, -90_000_000, 2_147_483_647, -2_147_483_648, -29_512_345];
  const rows: PositionRow[] = [];
  for (let i = 0; i < n; i++) {
    const pick = <T>(a: readonly T[], k: number): T => a[(i * k + (i >> 3)) % a.length];
    rows.push({
      terminal: pick(['13912345678', '0', 'Ab_-9', 'x'.repeat(32), String(i)], 1),
      ts: pick([946_684_800, 1_790_000_000 + i, 4_294_967_295], 3),
      recvTs: 0, // set below: recv_delay covers negative, zero and large
      latE6: pick(signed, 5) % 90_000_001,
      lonE6: pick(signed, 7) % 180_000_001,
      speed: pick([0, 1, 65_535, 1234], 11),
      direction: pick([0, 359, 45], 13),
      altitude: pick(signed, 17),
      alarm: pick(ints, 19),
      status: pick(ints, 23),
      odometer: pick(ints, 29),
      fuel: pick([0, 65_535, 600], 31),
      satellites: pick([0, 255, 9], 37),
      signal: pick([0, 31, 255], 41),
      backfill: (i & 1) as 0 | 1,
      extras: pick(['', '01040000a1b2', 'ABCDEF', '2504000000ff2a020001', '00'.repeat(200)], 43),
    });
    const r = rows[i];
    r.recvTs = Math.min(4_294_967_295, Math.max(0, r.ts + pick([0, 1, -5, 86_400, -2_000_000_000, 2_000_000_000], 47)));
  }
  for (const r of rows) if (!validPosition(r)) throw new Error(`edge row not valid: ${JSON.stringify(r)}`);
  return rows;
}

t.test('the byte writer writes exactly the lines of codec.line, both formats', async (t) => {
  const rows = edgeRows(600);
  for (const [format, column] of [['JSONCompactEachRow', 'extras_hex'], ['JSONEachRow', 'extras'], ['JSONEachRow', 'extras_hex']] as const) {
    const codec = positionCodec(format, column);
    const { bytes, valid } = await encodeBytes(rows, codec, 64);
    t.equal(Buffer.from(bytes).toString('latin1'), rows.map(codec.line).join(''), `${format} ${column}`);
    t.equal(bytes.buffer.byteLength, bytes.length, 'its own ArrayBuffer, exactly the body (transferred)');
    t.equal(valid, rows, 'no row rejected: the rows themselves, not a copy');
  }
});

t.test('the byte writer skips invalid rows, grows past its scratch, and interleaved calls do not share it', async (t) => {
  const codec = positionCodec('JSONCompactEachRow', 'extras_hex');
  const good = edgeRows(6000).map((r) => ({ ...r, extras: 'ab'.repeat(120) })); // > 1 MiB of body: the buffer grows
  const bad = { ...good[0], terminal: 'a"b' };
  const rows = [bad, ...good.slice(0, 3000), { ...good[1], extras: 'abc' }, ...good.slice(3000)];
  const [a, b] = await Promise.all([encodeBytes(rows, codec, 500), encodeBytes(good.slice(0, 2000), codec, 100)]);
  t.equal(a.valid.length, good.length);
  t.ok(a.valid.every((r, i) => r === good[i]), 'valid rows in order');
  t.ok(a.bytes.length > 1 << 20);
  t.equal(Buffer.from(a.bytes).toString('latin1'), good.map(codec.line).join(''));
  t.equal(Buffer.from(b.bytes).toString('latin1'), good.slice(0, 2000).map(codec.line).join(''));
  const none = await encodeBytes([bad], codec);
  t.equal(none.bytes.length, 0);
  t.same(none.valid, []);
});

t.test('terminal and extras checks are exactly the documented patterns', async (t) => {
  const terminal = /^[0-9A-Za-z_-]{1,32}$/;
  const hex = /^(?:[0-9a-fA-F]{2})*$/;
  const samples = ['', '0', 'a', 'Z_-', '1'.repeat(32), '1'.repeat(33), 'ab', 'aB', 'abc', 'ag', '0a\n', '\n', ' 1', 'é1', 'ĳ', '\u0130',
    '1\u0000', 'a"b', 'a\\b', '..', 'ff'.repeat(300), '13912345678', '01040000A1B2', '😀'];
  for (let c = 0; c < 300; c++) samples.push(String.fromCharCode(c), `1${String.fromCharCode(c)}`, `${String.fromCharCode(c)}0`);
  const good = fakePosition(1, fleet);
  const differ: string[] = [];
  for (const s of samples) {
    if (validPosition({ ...good, terminal: s }) !== terminal.test(s)) differ.push(`terminal ${JSON.stringify(s)}`);
    if (validPosition({ ...good, extras: s }) !== hex.test(s)) differ.push(`extras ${JSON.stringify(s)}`);
  }
  t.same(differ, [], `${samples.length} strings judged as the regexes judge them`);
  for (const v of [undefined, null, 1, ['ab'], { toString: () => 'ab' }]) {
    t.notOk(validPosition({ ...good, terminal: v as unknown as string }));
    t.notOk(validPosition({ ...good, extras: v as unknown as string }));
  }
});
