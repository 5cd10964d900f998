// Torn tails: whatever a crash or a bad sector leaves after the last durable record is cut off on
// open, and every record before it stays readable.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { forEachRecord, Spool } from '../../src/spool/index.js';
import { checkPayload, payload, segmentFiles, tempDir } from './fixtures/helpers.js';

async function writeRecords(dir: string, n: number, segmentBytes = 1 << 20): Promise<number[]> {
  const spool = await Spool.open({ dir, segmentBytes });
  const ends: number[] = [];
  for (let i = 0; i < n; i++) ends.push(spool.append(payload(i), i));
  await spool.close();
  return ends;
}

async function readIndexes(dir: string, segmentBytes = 1 << 20): Promise<{ got: number[]; spool: Spool }> {
  const spool = await Spool.open({ dir, segmentBytes });
  const c = spool.consumer('check');
  const got: number[] = [];
  for (;;) {
    const { records } = await c.read(1 << 20);
    if (records.length === 0) break;
    for (const r of records) got.push(checkPayload(r.data));
  }
  return { got, spool };
}

const lastSegment = (dir: string) => path.join(dir, segmentFiles(dir).at(-1) as string);
const range = (n: number) => [...Array(n).keys()];

const damages: Array<[string, (file: string, ends: number[]) => void, number]> = [
  ['garbage appended', (f) => fs.appendFileSync(f, Buffer.from('not a record at all, just noise')), 20],
  ['zeros appended (preallocated or sparse tail)', (f) => fs.appendFileSync(f, Buffer.alloc(4096)), 20],
  ['half a header', (f) => fs.appendFileSync(f, Buffer.from([1, 2, 3, 4, 60, 0, 0])), 20],
  ['last record cut in its data', (f, ends) => fs.truncateSync(f, ends[19] - 5), 19],
  ['last record cut in its header', (f, ends) => fs.truncateSync(f, ends[18] + 9), 19],
  [
    'last record with a flipped data bit',
    (f, ends) => {
      const fd = fs.openSync(f, 'r+');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, ends[19] - 3);
      b[0] ^= 0x01;
      fs.writeSync(fd, b, 0, 1, ends[19] - 3);
      fs.closeSync(fd);
    },
    19,
  ],
  [
    'a length field claiming more than the file holds',
    (f) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(0xdeadbeef, 0);
      h.writeUInt32LE(1_000_000, 4);
      fs.appendFileSync(f, h);
    },
    20,
  ],
];

for (const [name, damage, survivors] of damages) {
  t.test(`torn tail: ${name}`, async (t) => {
    const dir = tempDir(t);
    const ends = await writeRecords(dir, 20);
    const cleanSize = fs.statSync(lastSegment(dir)).size;
    damage(lastSegment(dir), ends);
    const { got, spool } = await readIndexes(dir);
    t.same(got, range(survivors), `${survivors} intact records, in order`);
    const head = survivors === 0 ? 0 : ends[survivors - 1];
    t.equal(spool.headPosition, head);
    t.equal(fs.statSync(lastSegment(dir)).size, head, 'file truncated to the last whole record');
    t.equal(spool.recovery.scannedRecords, survivors);
    t.ok(spool.recovery.truncatedBytes > 0 || cleanSize === head);
    // new appends continue right after, and survive another reopen
    spool.append(payload(survivors), survivors);
    await spool.close();
    const again = await readIndexes(dir);
    t.same(again.got, range(survivors + 1));
    t.equal(again.spool.recovery.truncatedBytes, 0, 'nothing left to repair');
    await again.spool.close();
  });
}

t.test('only the last segment is scanned; earlier ones stay whole', async (t) => {
  const dir = tempDir(t);
  const ends = await writeRecords(dir, 60, 1000);
  const files = segmentFiles(dir);
  t.ok(files.length > 2);
  fs.appendFileSync(path.join(dir, files.at(-1) as string), Buffer.from('torn'));
  const { got, spool } = await readIndexes(dir, 1000);
  t.same(got, range(60));
  t.equal(spool.headPosition, ends[59]);
  t.equal(spool.recovery.truncatedBytes, 4);
  t.equal(spool.recovery.segments, files.length);
  await spool.close();
});

t.test('a segment whose every byte is torn becomes empty and is reused', async (t) => {
  const dir = tempDir(t);
  const ends = await writeRecords(dir, 30, 1000);
  const files = segmentFiles(dir);
  const last = path.join(dir, files.at(-1) as string);
  const start = Number(files.at(-1)?.slice(0, 16));
  fs.writeFileSync(last, Buffer.from('xxxxxxxxxxxxxxxxxxxxxxxx'));
  const { got, spool } = await readIndexes(dir, 1000);
  const survivors = ends.filter((e) => e <= start).length;
  t.same(got, range(survivors));
  t.equal(spool.headPosition, start);
  t.equal(fs.statSync(last).size, 0);
  await spool.close();
});

t.test('records larger than the scan chunk are verified whole, and cut whole when torn', async (t) => {
  const dir = tempDir(t);
  const spool = await Spool.open({ dir });
  const big = Buffer.alloc(3 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
  const e0 = spool.append(payload(0), 0);
  const e1 = spool.append(big, 1);
  const e2 = spool.append(payload(2), 2);
  t.ok(e0 > 0 && e1 > 0 && e2 > 0);
  await spool.close();
  let again = await Spool.open({ dir });
  t.equal(again.recovery.scannedRecords, 3);
  t.equal(again.recovery.truncatedBytes, 0);
  const c = again.consumer('c');
  t.same((await c.read(1 << 20)).records.map((r) => r.position), [e0]);
  const r = await c.read(1 << 20);
  t.ok(r.records[0].data.equals(big), 'a 3 MiB record reads back whole');
  await again.close();
  fs.truncateSync(lastSegment(dir), e1 - 100); // cut inside the big record
  again = await Spool.open({ dir });
  t.equal(again.recovery.scannedRecords, 1);
  t.equal(again.headPosition, e0);
  await again.close();
});

t.test('damage inside an older segment (bit rot) is reported by read, never returned as data', async (t) => {
  const dir = tempDir(t);
  const ends = await writeRecords(dir, 60, 1000);
  const first = path.join(dir, segmentFiles(dir)[0]);
  const fd = fs.openSync(first, 'r+');
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, ends[2] + 20); // inside record 3's data
  fs.closeSync(fd);
  const spool = await Spool.open({ dir, segmentBytes: 1000 });
  t.equal(spool.recovery.truncatedBytes, 0, 'only the last segment is scanned at open');
  const c = spool.consumer('check');
  const r = await c.read(1 << 20);
  t.same(r.records.map((x) => checkPayload(x.data)), [0, 1, 2], 'the good records before it');
  await t.rejects(c.read(1 << 20), { code: 'FG_SPOOL_CORRUPT', position: ends[2] });
  t.equal(c.cursor, ends[2], 'the cursor stays at the damaged record');
  const b = await spool.consumer('batch').readBatch(1 << 20);
  t.ok(b.count > 3, 'readBatch does not check CRCs; forEachRecord in the worker does');
  t.equal(forEachRecord(b.bytes, b.bytes.length, () => undefined), -1 - ends[2]);
  await spool.close();
});

t.test('records from before a restart are CRC-checked on read; this run\'s own records are framed by length only', async (t) => {
  const dir = tempDir(t);
  const before = await writeRecords(dir, 3);
  const spool = await Spool.open({ dir });
  const own = [3, 4, 5].map((i) => spool.append(payload(i), i));
  await spool.flush();
  const fd = fs.openSync(lastSegment(dir), 'r+');
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, before[0] + 20); // inside record 1, written before the restart
  fs.closeSync(fd);
  const c = spool.consumer('check');
  t.same((await c.read(1 << 20)).records.map((x) => checkPayload(x.data)), [0], 'the good record before the damaged one');
  await t.rejects(c.read(1 << 20), { code: 'FG_SPOOL_CORRUPT', position: before[0] }, 'a pre-restart record is verified');
  t.ok(own[2] > before[2]);
  await spool.close();

  // This run's records were CRC'd as they were written, moments before, and are not verified a second time: a
  // byte changed on disk behind the spool's back comes back as it is (the trade-off, consumer.ts ConsumerHost.writtenFrom).
  const dir2 = tempDir(t);
  const fresh = await Spool.open({ dir: dir2 });
  const ends = [0, 1, 2].map((i) => fresh.append(payload(i), i));
  await fresh.flush();
  const fd2 = fs.openSync(lastSegment(dir2), 'r+');
  fs.writeSync(fd2, Buffer.from([0xee]), 0, 1, ends[0] + 20);
  fs.closeSync(fd2);
  const got = (await fresh.consumer('own').read(1 << 20)).records;
  t.same(got.map((x) => x.position), ends);
  t.equal(got[1].data[20 - 16], 0xee);
  await fresh.close();
});
