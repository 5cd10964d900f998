/**
 * Spool records → rows, on the main thread and through the worker pool (the same results).
 */
import t from 'tap';
import { decodeHeader } from '../../protocols/jt808/header.js';
import { encodePacket, unescapeFrame } from '../../protocols/jt808/index.js';
import { encode0200, encode0704 } from '../../protocols/jt808/messages/location.js';
import { encode0100 } from '../../protocols/jt808/messages/register.js';
import { createDecoder } from '../../src/decode/pool.js';
import { packRecords, unpackRecords } from '../../src/decode/batch.js';
import { IgnitionTracker } from '../../src/decode/ignition.js';
import { FLAG_FRAGMENT, writeRecord } from '../../src/decode/record.js';
import type { SpooledRecord } from '../../src/decode/decode-records.js';

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

for (const threads of [0, 1]) {
  t.test(`decode with ${threads} worker thread(s)`, async (t) => {
    const d = createDecoder(threads);
    t.teardown(() => d.close());
    const out = await d.decode(records);
    t.equal(out.positions.length, 4, '0x0200 ×2 + 0x0704 ×2; the fragment is skipped');
    t.same(out.positions.map((p) => p.backfill), [0, 0, 1, 1], 'backfill flag from 0x0704 type 1');
    const p = out.positions[1];
    t.equal(p.terminal, '13800138000', 'canonical id');
    t.equal(p.ts, (T0 + 30_000) / 1000, 'device time in epoch seconds UTC');
    t.equal(p.recvTs, (T0 + 5000) / 1000);
    t.equal(p.latE6, 29_501_000);
    t.equal(p.speed, 300);
    t.equal(p.odometer, 110);
    t.equal(p.fuel, 400);
    t.equal(p.satellites, 9);
    t.equal(p.signal, 20);
    t.equal(out.terminals?.length, 1, 'registration → terminal row');
    t.equal(out.terminals?.[0].plate, '渝A00001');
    t.equal(out.stats.failed, 1, 'the garbage record is counted');
    t.equal(out.stats.skipped, 1, 'the fragment is skipped');
  });
}

t.test('ignition transitions in device-time order, late rows reported', async (t) => {
  const tr = new IgnitionTracker();
  const rows = (await createDecoder(0).decode(records)).positions;
  const first = tr.track(rows);
  t.same(first.events.map((e) => [e.ts, e.on]), [[(T0 + 30_000) / 1000, 1], [(T0 + 90_000) / 1000, 0]], 'on at report 1, off at report 3');
  const again = tr.track(rows);
  t.equal(again.events.length, 0, 'a replay emits nothing new');
  t.equal(again.late, 3, 'older rows are late');
  tr.seed('7', 100, true);
  t.equal(tr.track([{ ...rows[0], terminal: '7', ts: 200, status: 0 }]).events[0].on, 0, 'seeded state: off after on');
});
