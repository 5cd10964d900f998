import t from 'tap';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { encodeRows, ignitionCodec, positionCodec, validPosition } from '../../src/store/encode.js';
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
