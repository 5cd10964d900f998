// The durable position is the promise made to terminals: it may only move after the fsync that
// covers it, in order, and appends during an fsync belong to the next group.
import t from 'tap';
import { DurableQueue, Spool } from '../../src/spool/index.js';
import { Deferred, FaultyDisk, openSpool, payload, sleep, tempDir } from './fixtures/helpers.js';

t.test('durablePosition advances only after fdatasync returns', async (t) => {
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const spool = await openSpool(t, { dir, io: disk.io, fsyncIntervalMs: 1 });
  const seen: number[] = [];
  spool.onDurable((p) => seen.push(p));

  disk.fsyncGate = new Deferred();
  const end1 = spool.append(payload(1), 1);
  await disk.gated(); // the group is written and its fsync is held
  t.equal(spool.durablePosition, 0, 'not durable while fsync is pending');
  t.same(seen, []);
  const end2 = spool.append(payload(2), 2); // arrives during the fsync: next group
  t.same(seen, []);
  disk.release();
  await spool.flush();
  t.same(seen, [end1, end2], 'two commits, in order, each position exact');
  t.equal(spool.durablePosition, end2);
  t.equal(disk.fsyncs, 2);
  await spool.close();
});

t.test('onDurable positions increase strictly and cover every append; unsubscribe works', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, fsyncIntervalMs: 2, segmentBytes: 4096 });
  const seen: number[] = [];
  const off = spool.onDurable((p) => seen.push(p));
  let throwing = 0;
  spool.onDurable(() => {
    throwing++;
    throw new Error('listener bug');
  });
  const errors: Error[] = [];
  spool.on('error', (e) => errors.push(e));
  const ends: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 50; i++) ends.push(spool.append(payload(round * 50 + i), round));
    await sleep(1);
  }
  await spool.flush();
  t.ok(seen.length >= 2, `${seen.length} commits`);
  t.ok(seen.every((p, i) => i === 0 || p > seen[i - 1]), 'strictly increasing');
  t.equal(seen[seen.length - 1], ends[ends.length - 1]);
  // each reported position is a record end: an ack queue can pop exactly up to it
  const endSet = new Set(ends);
  t.ok(seen.every((p) => endSet.has(p)), 'positions are record ends');
  t.ok(throwing > 0 && errors.length === throwing, 'a throwing listener is reported, not fatal');
  const before = seen.length;
  off();
  spool.append(payload(9999), 1);
  await spool.flush();
  t.equal(seen.length, before, 'unsubscribed');
  const st = spool.stats();
  t.ok(st.appends / st.fsyncs > 5, `group commit: ${(st.appends / st.fsyncs).toFixed(1)} records per fsync`);
  await spool.close();
});

t.test('fsyncIntervalMs spaces the commits', async (t) => {
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const spool = await openSpool(t, { dir, io: disk.io, fsyncIntervalMs: 20 });
  disk.writeStarts.length = 0; // forget the LOCK file write
  const start = performance.now();
  // appends every ~1 ms until 8 commits started (bounded: a loaded machine may be slow)
  while (disk.writeStarts.length < 8 && performance.now() - start < 5000) {
    spool.append(payload(1), 1);
    await sleep(1);
  }
  await spool.flush();
  // measured between commit starts: a slow fsync is followed at once by the next commit
  const starts = disk.writeStarts; // one write per group here (no segment roll)
  const gaps = starts.slice(1, -1).map((x, i) => x - starts[i]);
  const elapsed = starts[7] - starts[0];
  t.ok(elapsed >= 7 * 17, `8 commits took ${elapsed.toFixed(0)} ms: at most one per 20 ms`);
  t.ok(gaps.every((g) => g >= 17), `gaps ${gaps.map((g) => g.toFixed(0)).join(',')}`);
  await spool.close();
});

t.test('consumers never see records that are not durable', async (t) => {
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const spool = await openSpool(t, { dir, io: disk.io, fsyncIntervalMs: 0 });
  const c = spool.consumer('sink');
  const first = spool.append(payload(1), 1);
  await spool.flush();
  disk.fsyncGate = new Deferred();
  spool.append(payload(2), 2);
  await disk.gated();
  const r = await c.read(1 << 20);
  t.equal(r.records.length, 1);
  t.equal(r.next, first);
  t.equal((await c.read(1 << 20)).records.length, 0);
  await t.rejects(c.commit(spool.headPosition), RangeError, 'cannot commit past durable');
  disk.release();
  await spool.flush();
  t.equal((await c.read(1 << 20)).records.length, 1);
  await spool.close();
});

t.test('DurableQueue: answers leave in order, exactly when their record is durable', async (t) => {
  const q = new DurableQueue<string>(2);
  for (let i = 1; i <= 10; i++) q.push(i * 10, `a${i}`); // grows past its first capacity
  t.equal(q.length, 10);
  const out: string[] = [];
  t.equal(q.drain(5, (s) => out.push(s)), 0);
  t.equal(q.drain(30, (s) => out.push(s)), 3);
  q.push(110, 'a11');
  t.equal(q.drain(105, (s, p) => out.push(`${s}@${p}`)), 7);
  t.same(out, ['a1', 'a2', 'a3', 'a4@40', 'a5@50', 'a6@60', 'a7@70', 'a8@80', 'a9@90', 'a10@100']);
  t.equal(q.length, 1);
  // wrap-around many times without growing
  for (let i = 0; i < 1000; i++) {
    q.push(200 + i, 'x');
    t.equal(q.drain(200 + i, () => undefined), i === 0 ? 2 : 1);
  }
  t.equal(q.length, 0);

  // with the spool: ack=durable never answers before the fsync
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const spool = await openSpool(t, { dir, io: disk.io, fsyncIntervalMs: 1 });
  const acks = new DurableQueue<number>();
  const answered: number[] = [];
  spool.onDurable((d) => acks.drain(d, (frame) => answered.push(frame)));
  disk.fsyncGate = new Deferred();
  for (let i = 0; i < 100; i++) acks.push(spool.append(payload(i), i), i);
  await disk.gated();
  t.same(answered, [], 'no answer while the fsync is pending');
  disk.release();
  await spool.flush();
  t.same(answered, [...Array(100).keys()], 'all answered, in order');
  await spool.close();
});
