// Append, make durable, read back: across segment boundaries, with odd sizes, and after reopen.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { forEachRecord, Spool, type SpoolConsumer, type SpoolRecord } from '../../src/spool/index.js';
import { checkPayload, payload, segmentFiles, tempDir } from './fixtures/helpers.js';

async function readAll(c: SpoolConsumer, maxBytes: number): Promise<SpoolRecord[]> {
  const out: SpoolRecord[] = [];
  for (;;) {
    const { records, next } = await c.read(maxBytes);
    if (records.length === 0) return out;
    t.equal(next, records[records.length - 1].position);
    out.push(...records);
  }
}

t.test('records round-trip across many segments', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, segmentBytes: 1000 });
  const ends: number[] = [];
  let prev = spool.headPosition;
  t.equal(prev, 0);
  for (let i = 0; i < 500; i++) {
    const data = payload(i);
    const end = spool.append(data, 1_000 + i);
    t.equal(end, prev + 16 + data.length, 'end = previous end + framed size');
    data.fill(0); // the caller may reuse its buffer at once: append copied
    ends.push(end);
    prev = end;
  }
  t.equal(spool.headPosition, prev);
  t.equal(await spool.flush(), prev);
  t.equal(spool.durablePosition, prev);

  const files = segmentFiles(dir);
  t.ok(files.length > 10, `${files.length} segments`);
  for (const f of files) t.ok(fs.statSync(path.join(dir, f)).size <= 1000, `${f} within segmentBytes`);
  // names are the global start positions and chain end to start
  let expectStart = 0;
  for (const f of files) {
    t.equal(Number(f.slice(0, 16)), expectStart);
    expectStart += fs.statSync(path.join(dir, f)).size;
  }
  t.equal(expectStart, prev);

  const got = await readAll(spool.consumer('sink'), 300);
  t.equal(got.length, 500);
  let ok = true;
  for (let i = 0; i < got.length; i++) {
    if (checkPayload(got[i].data) !== i || got[i].position !== ends[i] || got[i].stampMs !== 1_000 + i) ok = false;
  }
  t.ok(ok, 'every record intact, in order, with its end position and stamp');
  await spool.close();

  // and again from disk after reopen, with a fresh consumer name
  const again = await Spool.open({ dir, segmentBytes: 1000 });
  t.equal(again.recovery.truncatedBytes, 0);
  t.equal(again.headPosition, prev);
  t.equal(again.durablePosition, prev);
  const got2 = await readAll(again.consumer('other'), 4096);
  t.equal(got2.length, 500);
  t.ok(got2.every((r, i) => checkPayload(r.data) === i && r.position === ends[i]));
  await again.close();
});

t.test('a read returns one record larger than maxBytes, and oversized records get their own segment', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, segmentBytes: 256, maxPendingBytes: 64 * 1024 });
  const big = Buffer.alloc(1000, 0xab);
  spool.append(payload(0), 1);
  const bigEnd = spool.append(big, 2);
  const lastEnd = spool.append(payload(2), 3);
  t.ok(bigEnd > 0 && lastEnd > bigEnd);
  await spool.flush();
  const c = spool.consumer('sink');
  const r1 = await c.read(10);
  t.equal(r1.records.length, 1, 'one small record even with maxBytes < its size');
  const r2 = await c.read(10);
  t.equal(r2.records.length, 1);
  t.same(r2.records[0].data, big);
  t.equal(r2.records[0].position, bigEnd);
  const r3 = await c.read(1 << 20);
  t.equal(checkPayload(r3.records[0].data), 2);
  t.equal((await c.read(1 << 20)).records.length, 0, 'caught up');
  t.equal(segmentFiles(dir).length, 3, 'big record alone in its segment');
  t.equal(spool.append(Buffer.alloc(spool.maxRecordBytes + 1), 4), -1, 'a record larger than the buffer is refused');
  t.equal(spool.isPaused, false, 'an oversized record does not pause everyone');
  t.ok(spool.append(Buffer.alloc(spool.maxRecordBytes), 5) > 0, 'the largest record fits');
  await spool.flush();
  await spool.close();
});

t.test('empty records and reads from an empty spool', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  const c = spool.consumer('sink');
  t.same(await c.read(100), { records: [], next: 0 });
  const e = spool.append(new Uint8Array(0), 42);
  t.equal(e, 16);
  await spool.flush();
  const r = await c.read(100);
  t.equal(r.records.length, 1);
  t.equal(r.records[0].data.length, 0);
  t.equal(r.records[0].stampMs, 42);
  await spool.close();
  t.equal(spool.append(payload(1), 1), -1, 'append after close is refused');
  await t.rejects(spool.flush(), { code: 'FG_SPOOL_CLOSED' });
  await spool.close(); // idempotent
});

t.test('a second open of the same directory is refused while the first holds it', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  await t.rejects(Spool.open({ dir }), { code: 'FG_SPOOL_LOCKED' }, 'same process');
  const lock = fs.readFileSync(path.join(dir, 'LOCK'), 'utf8');
  t.match(lock, new RegExp(`^${process.pid} `));
  await spool.close();
  t.notOk(fs.existsSync(path.join(dir, 'LOCK')), 'released on close');
  const boot = lock.trim().split(' ')[1];
  // a live process of this boot holds it: refused
  fs.writeFileSync(path.join(dir, 'LOCK'), `${process.ppid} ${boot}\n`);
  await t.rejects(Spool.open({ dir }), { code: 'FG_SPOOL_LOCKED' }, 'another live process');
  // stale locks are taken over: dead pid, a previous boot, our own pid left by a previous life
  for (const stale of [`2147483646 ${boot}`, `${process.ppid} another-boot`, `${process.pid} ${boot}`, 'garbage']) {
    fs.writeFileSync(path.join(dir, 'LOCK'), stale + '\n');
    const s = await Spool.open({ dir });
    await s.close();
    t.pass(`took over: ${stale}`);
  }
});

t.test('options are validated', async (t) => {
  const dir = tempDir(t);
  await t.rejects(Spool.open({ dir, segmentBytes: 0 }), RangeError);
  await t.rejects(Spool.open({ dir, lowWaterRatio: 1 }), RangeError);
  await t.rejects(Spool.open({ dir, fsyncIntervalMs: Number.NaN }), RangeError);
  const s = await Spool.open({ dir }); // and the lock was released by the failed opens
  t.throws(() => s.consumer('../evil'), TypeError);
  await s.close();
});

t.test('readBatch: raw records in a transferable buffer; forEachRecord walks and checks them', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir, segmentBytes: 3000 });
  const ends: number[] = [];
  for (let i = 0; i < 200; i++) ends.push(spool.append(payload(i), 1_000 + i));
  await spool.flush();
  const c = spool.consumer('sink');
  const batches = [];
  for (;;) {
    const b = await c.readBatch(700);
    if (b.count === 0) break;
    t.equal(b.start, batches.length === 0 ? 0 : batches[batches.length - 1].next, 'batches are contiguous');
    batches.push(b);
  }
  t.equal(c.cursor, ends[199]);
  // hand the first batch's memory to a "worker": the others must not share it
  const first = batches[0];
  t.equal(first.bytes.byteOffset, 0);
  const ab = first.bytes.buffer as ArrayBuffer; // allocUnsafeSlow: a plain ArrayBuffer of its own
  const moved = structuredClone(ab, { transfer: [ab] });
  t.equal(first.bytes.buffer.byteLength, 0, 'detached by the transfer');
  const got: number[] = [];
  const seen: number[] = [];
  const walk = (buf: Buffer, start: number) =>
    forEachRecord(buf, buf.length, (stampMs, ds, de, re) => {
      got.push(checkPayload(buf.subarray(ds, de)));
      t.equal(stampMs, 1_000 + got[got.length - 1]);
      seen.push(start + re);
    });
  t.equal(walk(Buffer.from(moved, 0, first.next - first.start), first.start), first.count);
  for (const b of batches.slice(1)) t.equal(walk(b.bytes, b.start), b.count, 'other batches intact');
  t.same(got, [...Array(200).keys()]);
  t.same(seen, ends, 'record end positions = append results');

  // a damaged record: forEachRecord delivers the ones before it and returns -1 - its offset
  const copy = Buffer.from(batches[1].bytes);
  const firstLen = 16 + copy.readUInt32LE(4);
  copy[firstLen + 20] ^= 1; // a data byte of the second record
  let delivered = 0;
  t.equal(forEachRecord(copy, copy.length, () => delivered++), -1 - firstLen);
  t.equal(delivered, 1);
  await spool.close();
});

t.test('reserve + seal store what append stores, and refuse as append does', async (t) => {
  const dirA = tempDir(t);
  const dirB = tempDir(t);
  const a = await Spool.open({ dir: dirA, segmentBytes: 1000 });
  const b = await Spool.open({ dir: dirB, segmentBytes: 1000 });
  for (let i = 0; i < 200; i++) {
    const data = payload(i);
    const at = b.reserve(data.length);
    t.ok(at >= 0);
    data.copy(b.reservedBuffer, at);
    t.equal(b.seal(data.length, 1_000 + i), a.append(data, 1_000 + i), `record ${i}: same end`);
  }
  t.equal(await b.flush(), await a.flush());
  const files = segmentFiles(dirA);
  t.ok(files.length > 5, 'rolled over segments');
  t.same(segmentFiles(dirB), files, 'same segment files');
  for (const f of files) t.same(fs.readFileSync(path.join(dirB, f)), fs.readFileSync(path.join(dirA, f)), `${f}: same bytes`);
  t.equal(b.reserve(b.maxRecordBytes + 1), -1, 'too large: refused');
  t.equal(b.stats().refused, 1);
  t.throws(() => b.seal(b.maxRecordBytes + 1, 0), RangeError, 'seal without room throws');
  await a.close();
  const closing = b.close();
  t.equal(b.reserve(10), -1, 'closing: refused');
  await closing;
});
