// Segments behind every consumer's checkpoint are deleted, or first kept as a raw archive for
// rawRetentionDays (by file age); the active segment and anything a consumer still needs stay.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Spool, type SpoolConsumer } from '../../src/spool/index.js';
import { checkPayload, payload, segmentFiles, tempDir, until } from './fixtures/helpers.js';

async function consumeUpTo(c: SpoolConsumer, position: number): Promise<void> {
  while (c.cursor < position) {
    const { records } = await c.read(64);
    const upto = records.filter((r) => r.position <= position);
    if (upto.length === 0) break;
    await c.commit(upto[upto.length - 1].position);
    if (upto.length < records.length) break;
  }
  c.rewind();
}

const starts = (dir: string) => segmentFiles(dir).map((f) => Number(f.slice(0, 16)));

t.test('segments behind the slowest checkpoint are deleted, never the active one', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, segmentBytes: 1000 });
  const ends: number[] = [];
  for (let i = 0; i < 100; i++) ends.push(spool.append(payload(i), i));
  await spool.flush();
  const all = starts(dir);
  t.ok(all.length >= 6, `${all.length} segments`);
  await spool.cleanup();
  t.same(starts(dir), all, 'no consumer yet: nothing deleted');

  const fast = spool.consumer('fast');
  const slow = spool.consumer('slow');
  await consumeUpTo(fast, ends[99]);
  await spool.cleanup();
  t.same(starts(dir), all, 'slow has consumed nothing: nothing deleted');

  // slow reaches the middle of the 4th segment: the first three are fully behind both
  const target = all[3] + 10;
  const slowEnd = ends.filter((e) => e <= target).at(-1) as number;
  await consumeUpTo(slow, slowEnd);
  await spool.cleanup();
  t.same(starts(dir), all.slice(3), 'deleted exactly the segments ending at or before the checkpoint');
  t.equal(spool.tailPosition, all[3]);
  t.equal(spool.stats().deletedSegments, 3);
  t.equal(spool.unconsumedBytes, spool.headPosition - slowEnd);

  // slow can still read on from its checkpoint after the deletion
  const { records } = await slow.read(1 << 20);
  t.ok(records.length > 0 && checkPayload(records[0].data) === ends.indexOf(slowEnd) + 1);

  await consumeUpTo(slow, ends[99]);
  await spool.cleanup();
  t.same(starts(dir), [all.at(-1)], 'all consumed: only the active segment remains');
  await spool.close();

  // after reopen the same floor applies, and appends continue in the active segment
  const again = await Spool.open({ dir, segmentBytes: 1000 });
  t.same(starts(dir), [all.at(-1)]);
  t.equal(again.unconsumedBytes, 0);
  await again.close();
});

t.test('removing a consumer releases the segments it held', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, segmentBytes: 1000 });
  const ends: number[] = [];
  for (let i = 0; i < 50; i++) ends.push(spool.append(payload(i), i));
  await spool.flush();
  spool.consumer('abandoned'); // created, never reads: holds everything from the oldest record
  await consumeUpTo(spool.consumer('sink'), ends[49]);
  await spool.cleanup();
  const before = starts(dir).length;
  t.ok(before > 1);
  await spool.removeConsumer('abandoned');
  t.equal(starts(dir).length, 1);
  await spool.close();
});

t.test('raw retention keeps consumed segments until they are older than rawRetentionDays', async (t) => {
  const dir = tempDir(t);
  const opts = { dir, segmentBytes: 1000, rawRetentionDays: 2 };
  const spool = await Spool.open(opts);
  const ends: number[] = [];
  for (let i = 0; i < 100; i++) ends.push(spool.append(payload(i), i));
  await spool.flush();
  const all = starts(dir);
  await consumeUpTo(spool.consumer('sink'), ends[99]);
  await spool.cleanup();
  t.same(starts(dir), all, 'consumed but young: kept as archive');
  t.equal(spool.unconsumedBytes, 0, 'archive does not count as unconsumed');
  // the archive stays readable by a new consumer
  const audit = spool.consumer('audit');
  t.equal(checkPayload((await audit.read(100)).records[0].data), 0);
  await spool.removeConsumer('audit');
  await spool.close();

  // age the first three segments past the retention; the others are 1 day old
  const now = Date.now() / 1000;
  segmentFiles(dir).forEach((f, i) => {
    const age = i < 3 ? 3 * 86400 : 86400;
    fs.utimesSync(path.join(dir, f), now - age, now - age);
  });
  const again = await Spool.open(opts);
  t.same(starts(dir), all.slice(3), 'expired archive segments deleted on open');
  await again.close();

  // retentionCheckMs: expiry found without any commit
  const third = await Spool.open({ ...opts, retentionCheckMs: 20 });
  fs.utimesSync(path.join(dir, segmentFiles(dir)[0]), now - 5 * 86400, now - 5 * 86400);
  // mtimes are read at open, so this one file is still young to the running spool
  await new Promise((r) => setTimeout(r, 60));
  t.same(starts(dir), all.slice(3));
  await third.close();
  const fourth = await Spool.open(opts);
  t.same(starts(dir), all.slice(4));
  await fourth.close();
});

t.test('retention timer deletes what expires while running', async (t) => {
  const dir = tempDir(t);
  // 1 s retention expressed in days
  const spool = await Spool.open({ dir, segmentBytes: 1000, rawRetentionDays: 1000 / 86_400_000, retentionCheckMs: 20 });
  for (let i = 0; i < 60; i++) spool.append(payload(i), i);
  await spool.flush();
  const sink = spool.consumer('sink');
  while (sink.cursor < spool.durablePosition) await sink.commit((await sink.read(1 << 20)).next);
  const n = starts(dir).length;
  t.ok(n > 1, 'consumed, but kept while young');
  await until(() => starts(dir).length === 1, 'expired segments deleted by the timer');
  t.pass('expired while running, deleted by the timer');
  await spool.close();
});
