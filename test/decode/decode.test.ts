/**
 * Spool records → the sink's read (encoded body, columns, marks, newest rows), on the main thread and through
 * the worker pool (the same results), and the ignition tracker over those columns.
 */
import t from 'tap';
import { decodeHeader } from '../../protocols/jt808/header.js';
import { canonicalTerminalId, encodePacket, unescapeFrame } from '../../protocols/jt808/index.js';
import { encode0200, encode0704 } from '../../protocols/jt808/messages/location.js';
import { encode0100 } from '../../protocols/jt808/messages/register.js';
import { createDecoder } from '../../src/decode/pool.js';
import { packRecords, unpackRecords } from '../../src/decode/batch.js';
import { IgnitionTracker } from '../../src/decode/ignition.js';
import { FLAG_FRAGMENT, readRecord, writeRecord, writeRecordAt } from '../../src/decode/record.js';
import { decodeRecords, type SpooledRecord } from '../../src/decode/decode-records.js';
import { encodeBytes, encodeRows, positionCodec } from '../../src/store/encode.js';
import { positionRowBinary } from '../../src/store/position-row-binary.js';
import { LatestCache } from '../../src/store/latest-cache.js';
import { positionColumns } from '../../src/store/position-columns.js';
import type { EncodeContext, PositionRow } from '../../src/store/rows.js';

const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

function record(msgId: number, body: Buffer, phone = '013800138000', flags = 0): SpooledRecord {
  const wire = encodePacket({ msgId, layout: '2013', phoneBcd: phone, serial: 1 }, body);
  const frame = unescapeFrame(wire);
  if (!frame.ok) throw new Error('bad test frame');
  const h = decodeHeader(frame.frame);
  if (!h.ok) throw new Error('bad header');
  const buf = Buffer.alloc(64 + body.length);
  const n = writeRecord(buf, { flags, utcOffsetMinutes: 480, msgId, serial: 1, layout: '2013', phoneBcd: h.value.phoneBcd }, body);
  return { stampMs: T0 + 5000, data: buf.subarray(0, n) };
}

const loc = (i: number, acc: boolean) => ({ status: (acc ? 1 : 0) | 2, lat: 29.5 + i / 1000, lon: 106.5, speedKmh: acc ? 30 : 0, direction: 10, time: T0 + i * 30_000, mileageKm: 10 + i, fuelL: 40, satellites: 9, rssi: 20 });

const records: SpooledRecord[] = [
  record(0x0100, encode0100({ province: 50, city: 100, makerId: 'ABCDE', model: 'M1', terminalId: 'ID1', plateColor: 1, plate: '渝A00001' }, '2013')),
  record(0x0200, encode0200(loc(0, false))),
  record(0x0200, encode0200(loc(1, true))),
  record(0x0704, encode0704({ type: 1, items: [loc(2, true), loc(3, false)] })),
  record(0x0200, encode0200(loc(9, true)), '013800138000', FLAG_FRAGMENT),
  record(0x0002, Buffer.alloc(0)),
  { stampMs: T0, data: Buffer.from([9, 9, 9]) },
];

t.test('pack/unpack keeps every record', async (t) => {
  const back = unpackRecords(packRecords(records));
  t.equal(back.length, records.length);
  t.ok(back.every((r, i) => r.stampMs === records[i].stampMs && r.data.equals(records[i].data)));
});

/** Today starts after every test time, so each valid row is late for its day. */
const ctx: EncodeContext = { format: 'JSONCompactEachRow', extrasColumn: 'extras_hex', timezone: 'Asia/Shanghai', todayStart: T0 / 1000 + 86_400 };
/** A receive time past UInt32 (a broken clock): decodes, but does not fit the columns. */
const unfit = record(0x0200, encode0200(loc(4, true)));
unfit.stampMs = 5e12;
const all = [...records, unfit];

for (const threads of [0, 1]) {
  t.test(`decode with ${threads} worker thread(s)`, async (t) => {
    const d = createDecoder(threads);
    t.teardown(() => d.close());
    const out = await d.decode(all, ctx);
    const pos = out.positions;
    t.equal(pos.rows, 4, '0x0200 ×2 + 0x0704 ×2; the fragment is skipped');
    t.equal(pos.rejected, 1, 'the row that does not fit is counted, not sent');
    const lines = Buffer.from(pos.body).toString().trimEnd().split('\n').map((l) => JSON.parse(l));
    t.same(lines.map((l) => l[14]), [0, 0, 1, 1], 'backfill flag from 0x0704 type 1');
    const [terminal, ts, recvDelay, lat, , speed, , , , , odometer, fuel, satellites, signal] = lines[1];
    t.equal(terminal, '13800138000', 'canonical id');
    t.equal(ts, (T0 + 30_000) / 1000, 'device time in epoch seconds UTC');
    t.equal(recvDelay, (T0 + 5000) / 1000 - ts);
    t.same([lat, speed, odometer, fuel, satellites, signal], [29_501_000, 300, 110, 400, 9, 20]);

    const plain = decodeRecords(all).positions;
    const old = await encodeRows(plain, positionCodec('JSONCompactEachRow', ctx.extrasColumn));
    t.equal(Buffer.from(pos.body).toString(), Buffer.concat(old.chunks).toString(), 'the same bytes the sink used to encode');
    const remote = await d.decode(all, { ...ctx, format: 'JSONEachRow', extrasColumn: 'extras' });
    const oldRemote = await encodeRows(plain, positionCodec('JSONEachRow', 'extras'));
    t.equal(Buffer.from(remote.positions.body).toString(), Buffer.concat(oldRemote.chunks).toString(), '18.16: JSONEachRow, extras as hex');
    const embedded = await d.decode(all, { ...ctx, format: 'RowBinary' });
    const rowBinary = await encodeBytes(plain, positionRowBinary);
    t.equal(embedded.positions.rows, 4);
    t.same(Buffer.from(embedded.positions.body), Buffer.from(rowBinary.bytes), 'embedded engine: RowBinary, the valid rows only');

    t.same(pos.columns.terminals, ['13800138000']);
    t.same([...pos.columns.ts], [0, 1, 2, 3].map((i) => (T0 + i * 30_000) / 1000), 'columns in device-time order');
    t.same([...pos.columns.status].map((s) => s & 1), [0, 1, 1, 0]);
    t.equal(pos.minRecvTs, (T0 + 5000) / 1000);
    const c = pos.columns;
    t.same([...c.latest].map((j) => [c.terminals[c.terminal[j]], c.ts[j], c.odometer[j], c.speed[j]]), [['13800138000', (T0 + 90_000) / 1000, 130, lines[3][5]]], 'newest row per terminal');
    t.same(pos.marks, [{ day: '2026-11-26', terminal: '13800138000', rows: 4, backfill: 2 }], 'late-day marks');
    t.equal(out.terminals?.length, 1, 'registration → terminal row');
    t.equal(out.terminals?.[0].plate, '渝A00001');
    t.equal(out.stats.failed, 1, 'the garbage record is counted');
    t.equal(out.stats.skipped, 1, 'the fragment is skipped');
  });
}

t.test('columns: grouped by terminal in first-seen order, each in device-time order', async (t) => {
  const base = decodeRecords(records).positions[0];
  const rows = [['b', 30], ['a', 20], ['b', 10], ['a', 20], ['c', 5], ['a', 10]].map(([terminal, ts]) => ({ ...base, terminal, ts }) as PositionRow);
  const c = positionColumns(rows);
  t.same(c.terminals, ['b', 'a', 'c']);
  t.same([...c.terminal], [0, 0, 1, 1, 1, 2]);
  t.same([...c.ts], [10, 30, 10, 20, 20, 5]);
});

t.test('columns mark each terminal\'s latest row; the latest cache takes it in place, newer device time wins', async (t) => {
  const base = { ...decodeRecords(records).positions[0], recvTs: 1_000_000 };
  const rows = [
    { terminal: 'a', ts: 900_000, speed: 1 },
    { terminal: 'a', ts: 950_000, speed: 2 }, // newest of a…
    { terminal: 'a', ts: 950_000, speed: 3 }, // …a later copy of the same time does not replace it
    { terminal: 'a', ts: 1_000_000 + 86_401, speed: 4 }, // clock more than a day ahead: never latest
    { terminal: 'z', ts: 0, speed: 5 }, // no valid time: z has no latest
  ].map((r) => ({ ...base, ...r }) as PositionRow);
  const c = positionColumns(rows);
  t.same([...c.latest].map((j) => (j < 0 ? null : c.speed[j])), [2, null]);
  const cache = new LatestCache();
  cache.update(c);
  const held = cache.get('a');
  t.same([held?.ts, held?.speed, held?.odometer], [950_000, 2, base.odometer]);
  t.equal(cache.get('z'), undefined);
  cache.update(positionColumns([{ ...base, terminal: 'a', ts: 940_000, speed: 7 }]));
  t.equal(cache.get('a')?.speed, 2, 'an older report leaves the latest alone');
  cache.update(positionColumns([{ ...base, terminal: 'a', ts: 960_000, speed: 8, latE6: -1 }]));
  t.same([cache.get('a')?.ts, cache.get('a')?.speed, cache.get('a')?.latE6], [960_000, 8, -1]);
  t.equal(cache.get('a'), held, 'updated in place');
  t.equal(cache.size, 1);
});

t.test('ignition transitions in device-time order, late rows reported', async (t) => {
  const tr = new IgnitionTracker();
  const { columns } = (await createDecoder(0).decode(records, ctx)).positions;
  const first = tr.track(columns);
  t.same(first.events.map((e) => [e.ts, e.on]), [[(T0 + 30_000) / 1000, 1], [(T0 + 90_000) / 1000, 0]], 'on at report 1, off at report 3');
  const again = tr.track(columns);
  t.equal(again.events.length, 0, 'a replay emits nothing new');
  t.equal(again.late, 3, 'older rows are late');
  tr.seed('7', 100, true);
  const row = decodeRecords(records).positions[0];
  t.equal(tr.track(positionColumns([{ ...row, terminal: '7', ts: 200, status: 0 }])).events[0].on, 0, 'seeded state: off after on');
});

t.test('writeRecordAt = writeRecord at an offset, for a body range (short and long bodies)', async (t) => {
  for (const [layout, phoneBcd, len] of [['2013', '013800138000', 0], ['2019', '00000000013800138000', 40], ['2013', '013800138000', 129], ['2019', '00000000013800138000', 2000]] as const) {
    const body = Buffer.alloc(len);
    for (let i = 0; i < len; i++) body[i] = (i * 13 + 5) & 0xff;
    const fields = { flags: 5, utcOffsetMinutes: -300, msgId: 0x0801, serial: 0xfedc, layout, phoneBcd };
    const want = Buffer.alloc(64 + len);
    const n = writeRecord(want, fields, body);
    const src = Buffer.concat([Buffer.from([1, 2, 3]), body, Buffer.from([4])]);
    const got = Buffer.alloc(70 + len);
    t.equal(writeRecordAt(got, 6, 5, -300, fields, src, 3, 3 + len), n);
    t.same(got.subarray(6, 6 + n), want.subarray(0, n), `${layout}, ${len}-byte body`);
    t.same(readRecord(got.subarray(6, 6 + n)), { ...fields, body }, 'reads back');
  }
});

t.test('the in-place 0x0200 path gives canonicalTerminalId of every phone form', async (t) => {
  const body = encode0200(loc(5, true));
  for (const phone of ['013800138000', '000000000000', '00000000013800138000', '98765432109876543210', '0138a0138000']) {
    const buf = Buffer.alloc(64 + body.length);
    const n = writeRecord(buf, { flags: 0, utcOffsetMinutes: 480, msgId: 0x0200, serial: 1, layout: '2019', phoneBcd: phone }, body);
    const rows = decodeRecords([{ stampMs: T0, data: buf.subarray(0, n) }]).positions;
    t.equal(rows[0].terminal, canonicalTerminalId(phone), phone);
  }
});
