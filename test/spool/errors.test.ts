// Disk errors: nothing that failed to reach the disk is ever reported durable; the spool pauses,
// reports, retries, and when the disk comes back everything accepted is written, once, intact.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Spool, type SpoolOptions } from '../../src/spool/index.js';
import { checkRecord } from '../../src/spool/record.js';
import { checkPayload, FaultyDisk, nextEvent, openSpool, payload, segmentFiles, tempDir, until } from './fixtures/helpers.js';

/** Every record in the segment files up to `position` parses with a good CRC (no zeroed pages). */
function onDiskUpTo(dir: string, position: number): boolean {
  let pos = 0;
  for (const f of segmentFiles(dir)) {
    const start = Number(f.slice(0, 16));
    if (start >= position) break;
    const buf = fs.readFileSync(path.join(dir, f));
    let off = 0;
    while (start + off < position && off < buf.length) {
      const r = checkRecord(buf, off, buf.length);
      if (r <= 0) return false;
      off += r;
    }
    pos = start + off;
  }
  return pos >= position;
}

async function readAll(spool: Spool): Promise<number[]> {
  const c = spool.consumer('verify');
  const got: number[] = [];
  for (;;) {
    const { records } = await c.read(1 << 20);
    if (records.length === 0) return got;
    for (const r of records) got.push(checkPayload(r.data));
  }
}

function setup(t: { teardown(fn: () => unknown): void }, extra: Partial<SpoolOptions> = {}) {
  const dir = tempDir(t);
  const disk = new FaultyDisk();
  const opts: SpoolOptions = { dir, io: disk.io, fsyncIntervalMs: 1, retryIntervalMs: 30, ...extra };
  return { dir, disk, opts };
}

function track(spool: Spool, dir: string) {
  const log: string[] = [];
  const lies: number[] = [];
  spool.on('error', (e) => log.push(`error:${(e as NodeJS.ErrnoException).code}`));
  spool.on('high-water', (r) => log.push(`high:${r}`));
  spool.on('low-water', () => log.push('low'));
  spool.on('recovered', () => log.push('recovered'));
  spool.onDurable((p) => {
    if (!onDiskUpTo(dir, p)) lies.push(p);
  });
  return { log, lies };
}

t.test('ENOSPC mid-write: no false durability, partial bytes cut, recovery when space returns', async (t) => {
  const { dir, disk, opts } = setup(t);
  const spool = await openSpool(t, opts);
  const { log, lies } = track(spool, dir);
  let i = 0;
  for (; i < 10; i++) spool.append(payload(i), i);
  const good = await spool.flush();

  disk.writeError = 'ENOSPC';
  for (; i < 30; i++) spool.append(payload(i), i);
  await nextEvent(spool, 'error');
  t.equal(spool.durablePosition, good, 'durable stays at the last good fsync');
  t.equal(spool.lastError && (spool.lastError as NodeJS.ErrnoException).code, 'ENOSPC');
  t.ok(spool.isPaused);
  const sizeDuringError = fs.statSync(path.join(dir, segmentFiles(dir)[0])).size;
  t.ok(sizeDuringError > good, 'a partial group reached the file');
  await nextEvent(spool, 'error'); // the retry fails too
  t.ok(log.filter((l) => l === 'error:ENOSPC').length >= 2, 'every failed attempt is reported');
  t.equal(spool.durablePosition, good);
  for (; i < 40; i++) t.ok(spool.append(payload(i), i) > 0, 'still accepting into the bounded buffer');
  await t.rejects(spool.flush(), { code: 'ENOSPC' }, 'flush() retries now and reports the failure, never hangs');

  disk.writeError = null;
  await nextEvent(spool, 'recovered');
  await spool.flush();
  t.equal(spool.durablePosition, spool.headPosition);
  t.same(log.filter((l) => !l.startsWith('error')), ['high:error', 'recovered', 'low']);
  t.same(lies, [], 'every durable report was on disk');
  t.equal(fs.statSync(path.join(dir, segmentFiles(dir)[0])).size, spool.headPosition, 'no partial garbage left');
  t.equal(spool.stats().diskErrors >= 2, true);
  await spool.close();

  const again = await Spool.open({ dir });
  t.equal(again.recovery.truncatedBytes, 0);
  t.same(await readAll(again), [...Array(40).keys()], 'all 40 accepted records, once each, in order');
  await again.close();
});

t.test('EIO on fdatasync that dropped the dirty pages: the group is rewritten from memory', async (t) => {
  const { dir, disk, opts } = setup(t);
  const spool = await openSpool(t, opts);
  const { log, lies } = track(spool, dir);
  let i = 0;
  for (; i < 10; i++) spool.append(payload(i), i);
  const good = await spool.flush();
  disk.fsyncError = 'EIO';
  disk.dropPages = true;
  for (; i < 25; i++) spool.append(payload(i), i);
  await nextEvent(spool, 'error');
  await nextEvent(spool, 'error'); // and its retry
  t.equal(spool.durablePosition, good, 'a failed fsync never counts');
  t.notOk(onDiskUpTo(dir, spool.headPosition), 'the failed group is really gone from the file');
  disk.fsyncError = null;
  await nextEvent(spool, 'recovered');
  await spool.flush();
  t.same(lies, []);
  t.ok(onDiskUpTo(dir, spool.headPosition), 'rewritten from the spool buffer, not trusted to the page cache');
  t.ok(log.includes('high:error') && log.at(-1) === 'low');
  await spool.close();
  const again = await Spool.open({ dir });
  t.same(await readAll(again), [...Array(25).keys()]);
  await again.close();
});

t.test('failure while starting a new segment: durable stops at the roll, resumes after', async (t) => {
  const { dir, disk, opts } = setup(t, { segmentBytes: 600 });
  const spool = await openSpool(t, opts);
  const { lies } = track(spool, dir);
  let i = 0;
  for (; i < 5; i++) spool.append(payload(i), i);
  await spool.flush();
  t.equal(segmentFiles(dir).length, 1);
  disk.openError = 'ENOSPC';
  for (; i < 40; i++) spool.append(payload(i), i);
  await nextEvent(spool, 'error');
  const firstSegEnd = spool.durablePosition;
  t.ok(firstSegEnd > 0 && firstSegEnd <= 600, `durable ${firstSegEnd}: up to the end of the first segment`);
  t.equal(segmentFiles(dir).length, 1, 'no new segment');
  disk.openError = null;
  await nextEvent(spool, 'recovered');
  await spool.flush();
  t.same(lies, []);
  t.ok(segmentFiles(dir).length > 2);
  await spool.close();
  const again = await Spool.open({ dir, segmentBytes: 600 });
  t.same(await readAll(again), [...Array(40).keys()]);
  await again.close();
});

t.test('close while the disk still fails rejects and reports nothing false', async (t) => {
  const { dir, disk, opts } = setup(t);
  const spool = await openSpool(t, opts);
  const { lies } = track(spool, dir);
  let i = 0;
  for (; i < 10; i++) spool.append(payload(i), i);
  const good = await spool.flush();
  disk.writeError = 'EIO';
  for (; i < 20; i++) spool.append(payload(i), i);
  const flushed = spool.flush().then(
    () => null,
    (e: NodeJS.ErrnoException) => e.code,
  );
  await nextEvent(spool, 'error');
  await t.rejects(spool.close(), { code: 'EIO' });
  t.equal(await flushed, 'EIO', 'a pending flush() learns the records did not make it');
  t.equal(spool.stats().diskErrors >= 2, true, 'close tried once more');
  t.equal(spool.durablePosition, good);
  t.same(lies, []);
  disk.writeError = null;
  const again = await Spool.open({ dir });
  // the retry in close() already cut the partial group back (truncate to the durable offset)
  t.equal(again.headPosition, good, 'nothing past the durable position survives');
  t.same(await readAll(again), [...Array(10).keys()], 'exactly the durable records');
  await again.close();
});

t.test("'error' without a listener does not crash the process", async (t) => {
  const { disk, opts } = setup(t);
  const spool = await openSpool(t, opts);
  disk.fsyncError = 'EIO';
  spool.append(payload(1), 1);
  await until(() => spool.stats().diskErrors >= 2, 'two failed attempts');
  t.equal(spool.durablePosition, 0);
  disk.fsyncError = null;
  await spool.flush();
  t.equal(spool.durablePosition, spool.headPosition);
  await spool.close();
});

t.test('throwing event listeners do not stall or confuse the commit loop', async (t) => {
  const { dir, disk, opts } = setup(t);
  const spool = await openSpool(t, opts);
  let calls = 0;
  const boom = () => {
    calls++;
    throw new Error('listener bug');
  };
  spool.on('error', boom);
  spool.on('recovered', boom);
  spool.on('low-water', boom);
  spool.on('high-water', boom);
  spool.onDurable(boom);
  disk.fsyncError = 'EIO';
  spool.append(payload(1), 1);
  await until(() => spool.stats().diskErrors >= 1, 'a failed attempt');
  disk.fsyncError = null;
  spool.append(payload(2), 2);
  await spool.flush();
  t.equal(spool.durablePosition, spool.headPosition);
  t.equal(spool.lastError, null);
  t.equal(spool.stats().diskErrors < 5, true, 'listener throws are not counted as disk errors');
  t.ok(calls >= 3);
  await spool.close();
  const again = await Spool.open({ dir });
  t.same(await readAll(again), [1, 2]);
  await again.close();
});
