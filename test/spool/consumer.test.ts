// Consumers: checkpoints persist atomically, survive reopen, and replay resumes exactly there.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Spool } from '../../src/spool/index.js';
import { checkPayload, FaultyDisk, nextEvent, payload, segmentFiles, tempDir, until, writeCheckpointFile } from './fixtures/helpers.js';
import { readCheckpoints } from '../../src/spool/checkpoint.js';
import { nodeIo } from '../../src/spool/index.js';

t.test('checkpoint persists and replay after reopen starts from it', async (t) => {
  const dir = tempDir(t);
  let spool = await Spool.open({ dir, segmentBytes: 2000 });
  const ends: number[] = [];
  for (let i = 0; i < 100; i++) ends.push(spool.append(payload(i), i));
  await spool.flush();
  let c = spool.consumer('sink');
  t.equal(c.checkpoint, 0);
  const r = await c.read(800);
  const n = r.records.length;
  t.ok(n > 3 && n < 100);
  await c.commit(r.next);
  t.equal(c.checkpoint, ends[n - 1]);
  // read more without committing: lost on restart, replayed
  const r2 = await c.read(800);
  t.ok(r2.records.length > 0);
  t.equal(c.cursor, r2.next);
  const text = fs.readFileSync(path.join(dir, 'sink.ckpt'), 'latin1');
  t.match(text, new RegExp(`fgckpt1 \\d{16} ${String(ends[n - 1]).padStart(16, '0')} [0-9a-f]{8}`), 'readable with cat');
  t.same(await readCheckpoints(nodeIo, dir), new Map([['sink', ends[n - 1]]]), 'checkpoint file holds the position');
  t.same(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
  await spool.close();

  spool = await Spool.open({ dir, segmentBytes: 2000 });
  t.same(spool.consumerNames(), ['sink']);
  c = spool.consumer('sink');
  t.equal(c.checkpoint, ends[n - 1]);
  t.equal(c.cursor, ends[n - 1]);
  const replay = await c.read(1 << 20);
  t.equal(checkPayload(replay.records[0].data), n, 'replay starts with the first uncommitted record');
  await spool.close();
});

t.test('rewind replays from the checkpoint; commits are ordered and never go back', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  for (let i = 0; i < 10; i++) spool.append(payload(i), i);
  await spool.flush();
  const c = spool.consumer('sink');
  t.equal(spool.consumer('sink'), c, 'same object for the same name');
  const a = await c.read(100);
  await c.commit(a.next);
  const b = await c.read(1 << 20);
  t.ok(b.records.length > 0);
  c.rewind(); // downstream insert failed
  const again = await c.read(1 << 20);
  t.same(
    again.records.map((r) => r.position),
    b.records.map((r) => r.position),
    'same records again',
  );
  // out-of-order completion: the later commit wins, the earlier is a no-op
  await Promise.all([c.commit(again.next), c.commit(a.next)]);
  t.equal(c.checkpoint, again.next);
  await t.rejects(c.commit(-1), RangeError);
  await t.rejects(c.commit(1.5), RangeError);
  spool.append(payload(10), 10);
  await spool.flush();
  const concurrent = c.read(10); // has a record to fetch: in progress until its fs read returns
  await t.rejects(c.read(10), /already in progress/);
  t.equal((await concurrent).records.length, 1);
  await spool.close();
  await t.rejects(c.read(10), { code: 'FG_SPOOL_CLOSED' });
});

t.test('independent consumers; a new one starts at the oldest kept record', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  for (let i = 0; i < 5; i++) spool.append(payload(i), i);
  await spool.flush();
  const a = spool.consumer('sink');
  const b = spool.consumer('audit-2');
  const ra = await a.read(1 << 20);
  await a.commit(ra.next);
  t.equal(b.checkpoint, 0);
  t.equal((await b.read(1 << 20)).records.length, 5);
  t.equal(spool.unconsumedBytes, spool.headPosition, 'b has not committed: all unconsumed');
  await spool.removeConsumer('audit-2');
  t.equal(spool.unconsumedBytes, 0, 'only a is left and it is at the head');
  t.same(spool.consumerNames(), ['sink']);
  t.notOk(fs.existsSync(path.join(dir, 'audit-2.ckpt')));
  await t.rejects(b.commit(0), /removed/);
  await spool.close();
});

t.test('an unreadable checkpoint stops open instead of guessing', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  spool.append(payload(1), 1);
  await spool.flush();
  const c = spool.consumer('sink');
  await c.commit((await c.read(100)).next);
  await spool.close();
  fs.writeFileSync(path.join(dir, 'sink.ckpt'), '{"posi');
  fs.writeFileSync(path.join(dir, 'other.ckpt.tmp'), 'half written');
  await t.rejects(Spool.open({ dir }), /checkpoint .*sink\.ckpt is unreadable/);
  await writeCheckpointFile(dir, 'sink', 16);
  const again = await Spool.open({ dir });
  t.equal(again.consumer('sink').checkpoint, 16);
  t.notOk(fs.existsSync(path.join(dir, 'other.ckpt.tmp')), 'leftover temp file removed');
  await again.close();
});

t.test('a checkpoint beyond the data on disk moves the head past it (no record hides behind it)', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  spool.append(payload(1), 1);
  await spool.flush();
  await spool.close();
  await writeCheckpointFile(dir, 'sink', 5000);
  const again = await Spool.open({ dir });
  t.equal(again.recovery.gapBytes, 5000 - (16 + payload(1).length));
  t.equal(again.headPosition, 5000);
  t.equal(again.tailPosition, 5000, 'the old segment lies behind the only checkpoint: deleted');
  const fresh = again.consumer('late');
  const end = again.append(payload(2), 2);
  await again.flush();
  const got: number[] = [];
  for (let i = 0; i < 4; i++) for (const r of (await fresh.read(1 << 20)).records) got.push(checkPayload(r.data));
  t.same(got, [2]);
  const sink = again.consumer('sink');
  const r = await sink.read(1 << 20);
  t.equal(r.records[0].position, end);
  await again.close();
});

t.test('a reader skips the gap left by lost data', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  spool.append(payload(1), 1);
  await spool.flush();
  await spool.close();
  await writeCheckpointFile(dir, 'ahead', 5000);
  await writeCheckpointFile(dir, 'behind', 0);
  const again = await Spool.open({ dir });
  t.equal(again.tailPosition, 0, 'behind still needs the old segment');
  again.append(payload(2), 2);
  await again.flush();
  const c = again.consumer('behind');
  const got: number[] = [];
  for (let i = 0; i < 4; i++) for (const r of (await c.read(1 << 20)).records) got.push(checkPayload(r.data));
  t.same(got, [1, 2]);
  await again.close();
});

t.test('a torn checkpoint update falls back to the previous one', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  const ends: number[] = [];
  for (let i = 0; i < 10; i++) ends.push(spool.append(payload(i), i));
  await spool.flush();
  const c = spool.consumer('sink');
  for (const e of ends.slice(0, 5)) await c.commit(e); // sequences 1..5: the last is in slot 1
  await spool.close();
  const file = path.join(dir, 'sink.ckpt');
  t.equal(fs.statSync(file).size, 4096 + 64, 'fixed size: updates never grow it');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('fgckpt1 99999999'), 0, 16, 4096); // torn write of slot 1
  fs.closeSync(fd);
  let again = await Spool.open({ dir });
  t.equal(again.consumer('sink').checkpoint, ends[3], 'previous checkpoint from the other slot');
  // updates continue, and go to the slot that is not the newest valid one
  await again.consumer('sink').commit(ends[6]);
  await again.close();
  again = await Spool.open({ dir });
  t.equal(again.consumer('sink').checkpoint, ends[6]);
  await again.close();
  fs.writeFileSync(file, Buffer.alloc(4160, 0x20));
  await t.rejects(Spool.open({ dir }), /no valid slot/);
});

t.test('on a full disk the sink can still commit, consumed segments and the archive are freed', async (t) => {
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const spool = await Spool.open({
    dir, io: disk.io, segmentBytes: 1000, rawRetentionDays: 7, retryIntervalMs: 20, fsyncIntervalMs: 1,
  });
  const errors: string[] = [];
  spool.on('error', (e) => errors.push(String((e as NodeJS.ErrnoException).code)));
  const sink = spool.consumer('sink');
  let i = 0;
  for (; i < 60; i++) spool.append(payload(i), i);
  await spool.flush();
  t.teardown(() => spool.close().catch(() => undefined)); // even if an assertion below fails
  while (sink.cursor < spool.durablePosition) await sink.commit((await sink.read(1 << 20)).next);
  // (its checkpoint file exists before the disk fills)
  const archived = segmentFiles(dir).length;
  t.ok(archived > 3, 'consumed segments kept as the raw archive');

  disk.full = true;
  for (; i < 100; i++) spool.append(payload(i), i);
  await nextEvent(spool, 'error');
  t.equal(errors[0], 'ENOSPC');
  await until(() => segmentFiles(dir).length === 1, 'archive freed on ENOSPC');
  // the sink keeps draining: checkpoint updates overwrite existing bytes, no new space needed
  for (;;) {
    const { records, next } = await sink.read(1 << 20);
    if (records.length === 0) break;
    await sink.commit(next);
  }
  t.pass('sink committed on a full disk');
  disk.full = false; // the deletions gave the space back
  await nextEvent(spool, 'recovered');
  await spool.flush();
  const got: number[] = [];
  for (;;) {
    const { records, next } = await sink.read(1 << 20);
    if (records.length === 0) break;
    for (const r of records) got.push(checkPayload(r.data));
    await sink.commit(next);
  }
  t.same(got, [...Array(40).keys()].map((k) => k + 60), 'the records accepted while full were all kept');
  await spool.close();
});

t.test('waitForData wakes on a group commit with enough bytes, else at its timeout or abort', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, fsyncIntervalMs: 5 });
  const c = spool.consumer('sink');
  let woke = false;
  const waiting = c.waitForData(1, Infinity).then(() => (woke = true));
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(woke, 'nothing durable: still waiting, no timer');
  spool.append(payload(1), 1);
  await waiting;
  t.ok(c.cursor < spool.durablePosition, 'woken once the record was durable');
  const started = Date.now();
  await c.waitForData(1 << 20, 30);
  t.ok(Date.now() - started >= 25, 'not enough bytes: the timeout ends the wait');
  const ac = new AbortController();
  const aborted = c.waitForData(1 << 20, Infinity, ac.signal);
  ac.abort();
  await aborted;
  t.pass('an abort ends the wait without rejecting');
  await c.waitForData(1, Infinity);
  t.pass('data already there: resolves at once');
  await spool.close();
});
