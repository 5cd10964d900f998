// Bounded: past maxUnconsumedBytes the spool asks the gateway to pause, and resumes it at low
// water; when the disk is slower than the sockets the fixed write buffer fills and appends are
// refused (and signalled) instead of memory growing. Nothing accepted is ever dropped.
import t from 'tap';
import { Spool, type HighWaterReason } from '../../src/spool/index.js';
import { checkPayload, Deferred, FaultyDisk, openSpool, payload, sleep, tempDir } from './fixtures/helpers.js';

function watch(spool: Spool): string[] {
  const events: string[] = [];
  spool.on('high-water', (reason: HighWaterReason) => events.push(`high:${reason}`));
  spool.on('low-water', () => events.push('low'));
  return events;
}

t.test('high water at maxUnconsumedBytes, low water at lowWaterRatio', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, maxUnconsumedBytes: 10_000, lowWaterRatio: 0.5, segmentBytes: 4000 });
  const events = watch(spool);
  const sink = spool.consumer('sink');
  let i = 0;
  while (spool.unconsumedBytes < 10_000) {
    t.equal(events.length, 0);
    spool.append(payload(i), i++);
  }
  t.same(events, ['high:unconsumed'], 'fired once, when crossing');
  t.ok(spool.isPaused);
  // the gateway may still deliver frames already read: they are accepted, not dropped
  for (let k = 0; k < 20; k++) t.ok(spool.append(payload(i), i++) > 0);
  t.same(events, ['high:unconsumed'], 'no repeat while over');
  await spool.flush();
  // consume in small steps: low water only once unconsumed <= 5,000
  while (spool.unconsumedBytes > 5_000) {
    t.same(events, ['high:unconsumed']);
    const { next } = await sink.read(500);
    await sink.commit(next);
  }
  t.same(events, ['high:unconsumed', 'low']);
  t.notOk(spool.isPaused);
  await spool.close();
});

t.test('a slow disk fills the fixed write buffer: appends refused and signalled, none lost', async (t) => {
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const maxPendingBytes = 8192;
  const spool = await openSpool(t, { dir, io: disk.io, maxPendingBytes, fsyncIntervalMs: 0 });
  const events = watch(spool);
  disk.fsyncGate = new Deferred(); // the disk stalls
  const accepted: number[] = [];
  let refused = 0;
  for (let i = 0; i < 1000; i++) {
    const p = spool.append(payload(accepted.length), accepted.length);
    if (p < 0) refused++;
    else accepted.push(p);
    if (i % 10 === 0) await sleep(0); // let the commit start: the stalled fsync holds one buffer
  }
  t.ok(refused > 0, `${refused} refused`);
  t.equal(events[0], 'high:pending', 'pause asked before or at the first refusal');
  const pendingBytes = spool.headPosition - spool.durablePosition;
  t.ok(pendingBytes <= maxPendingBytes, `${pendingBytes} bytes pending <= ${maxPendingBytes}`);
  t.equal(spool.durablePosition, 0, 'nothing durable while the fsync hangs');
  t.equal(spool.stats().refused, refused);

  disk.release();
  await spool.flush();
  t.same(events, ['high:pending', 'low']);
  t.equal(spool.durablePosition, accepted[accepted.length - 1]);
  const c = spool.consumer('sink');
  const got: number[] = [];
  for (let k = 0; k < 10; k++) for (const r of (await c.read(1 << 20)).records) got.push(checkPayload(r.data));
  t.same(got, [...accepted.keys()], 'every accepted record is there, in order');
  await spool.close();
});
