// CRC-32 and record framing: the bytes every other guarantee rests on.
import t from 'tap';
import zlib from 'node:zlib';
import { crc32, crc32Table } from '../../src/spool/crc32.js';
import { checkRecord, CORRUPT, encodeRecord, HEADER_BYTES, INCOMPLETE, recordStamp } from '../../src/spool/record.js';
import { segmentName } from '../../src/spool/segment.js';

t.test('crc32 matches the standard check value and zlib', async (t) => {
  const check = Buffer.from('123456789');
  t.equal(crc32Table(check, 0, check.length), 0xcbf43926);
  t.equal(crc32(check, 0, check.length), 0xcbf43926);
  t.equal(crc32Table(Buffer.alloc(0), 0, 0), 0);
  const big = Buffer.alloc(70_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
  // every length 0..40 (tail loop and 8-byte steps) plus sizes on both sides of the native cut-over
  for (const len of [...Array(41).keys(), 511, 512, 513, 4096, 65_537]) {
    for (const start of [0, 3]) {
      const want = zlib.crc32(big.subarray(start, start + len)) >>> 0;
      t.equal(crc32Table(big, start, start + len), want, `table len ${len} @${start}`);
      t.equal(crc32(big, start, start + len), want, `auto len ${len} @${start}`);
    }
  }
});

t.test('a record round-trips and any damage is caught', async (t) => {
  const buf = Buffer.alloc(256);
  const data = Buffer.from('7e0200001c0123456789010001', 'hex');
  const n = encodeRecord(buf, 10, data, 1_700_000_000_123.5);
  t.equal(n, HEADER_BYTES + data.length);
  t.equal(checkRecord(buf, 10, 10 + n), n);
  t.equal(recordStamp(buf, 10), 1_700_000_000_123.5);
  t.same(buf.subarray(10 + HEADER_BYTES, 10 + n), data);
  for (let cut = 0; cut < n; cut++) t.equal(checkRecord(buf, 10, 10 + cut), INCOMPLETE, `cut at ${cut}`);
  for (let i = 0; i < n; i++) {
    const copy = Buffer.from(buf);
    copy[10 + i] ^= 0x10;
    const r = checkRecord(copy, 10, 10 + n);
    // a flipped length bit may make the record look longer than the bytes at hand
    t.ok(r === CORRUPT || (i >= 4 && i < 8 && r === INCOMPLETE), `flip byte ${i} -> ${r}`);
  }
  t.equal(checkRecord(Buffer.alloc(64), 0, 64), CORRUPT, 'zero fill is not a record');
  t.equal(encodeRecord(buf, 0, new Uint8Array(0), 0), HEADER_BYTES, 'empty data is a record');
  t.equal(checkRecord(buf, 0, HEADER_BYTES), HEADER_BYTES);
});

t.test('segment names sort like positions', async (t) => {
  t.equal(segmentName(0), '0000000000000000.seg');
  t.equal(segmentName(Number.MAX_SAFE_INTEGER), '9007199254740991.seg');
  const starts = [5, 123_456, 99, 10_000_000_000];
  t.same(starts.map(segmentName).sort(), [...starts].sort((a, b) => a - b).map(segmentName));
});

t.test('encodeRecord writes the bytes Buffer methods would (stamp, length, crc little endian)', async (t) => {
  for (const [len, stamp] of [[0, 0], [5, 1_700_000_000_123], [70, 1_700_000_000_123.5], [300, -1.25], [600, 2 ** 53 - 1]]) {
    const data = Buffer.alloc(len);
    for (let i = 0; i < len; i++) data[i] = (i * 37 + 1) & 0xff;
    const want = Buffer.alloc(HEADER_BYTES + len);
    want.writeUInt32LE(len, 4);
    want.writeDoubleLE(stamp, 8);
    data.copy(want, HEADER_BYTES);
    want.writeUInt32LE(zlib.crc32(want.subarray(4)) >>> 0, 0);
    const got = Buffer.alloc(HEADER_BYTES + len + 7, 0xaa);
    t.equal(encodeRecord(got, 3, data, stamp), HEADER_BYTES + len);
    t.same(got.subarray(3, 3 + HEADER_BYTES + len), want, `len ${len}, stamp ${stamp}`);
    t.equal(got[2], 0xaa, 'nothing written before');
    t.equal(got[3 + HEADER_BYTES + len], 0xaa, 'nothing written after');
  }
});
