/**
 * The simulator's hot-path writers produce exactly the codec's bytes (encodePacket, encode0200,
 * encode0704, writeBcdTime), and the small engine parts behave: timer wheel, histogram, queues.
 */
import t from 'tap';
import {
  FrameSplitter,
  decode0200,
  decode0704,
  decodePacket,
  encode0200,
  encode0704,
  encodePacket,
  splitBody,
  writeBcdTime,
  type LocationInput,
} from '../../protocols/jt808/index.js';
import { LatencyHistogram } from '../../simulator/stats.js';
import { SeqQueue } from '../../simulator/samples.js';
import { TimerWheel } from '../../simulator/wheel.js';
import { FrameWriter, LOCATION_BODY_LENGTH, statusOf, writeBatchHead, writeBatchItem, writeBcdTime8, writeLocation, BATCH_ITEMS_PER_FRAME, type LocationFields } from '../../simulator/wire.js';

const T0 = Date.UTC(2026, 2, 2, 1, 2, 3);

function fields(i: number): LocationFields {
  return {
    latE6: 29_560_000 + i * 7919,
    lonE6: 106_550_000 + i * 104_729,
    altitudeM: 200 + i,
    speedRaw: (i * 37) % 900,
    direction: (i * 13) % 360,
    acc: i % 2,
    odometerRaw: 1_000_000 + i * 3,
    fuelRaw: 300 + i,
    rssi: 20 + (i % 10),
    satellites: 8 + (i % 12),
  };
}

function asInput(f: LocationFields, time: number): LocationInput {
  return {
    status: statusOf(f.acc, f.latE6, f.lonE6),
    latE6: f.latE6,
    lonE6: f.lonE6,
    altitudeM: f.altitudeM,
    speedRaw: f.speedRaw,
    direction: f.direction,
    time,
    mileageRaw: f.odometerRaw,
    fuelRaw: f.fuelRaw,
    rssi: f.rssi,
    satellites: f.satellites,
  };
}

t.test('0x0200 body equals encode0200 and decodes back', async (t) => {
  const buf = Buffer.alloc(128);
  for (let i = 0; i < 200; i++) {
    const f = fields(i);
    const time = T0 + i * 3_601_000 * 7; // crosses many days
    const n = writeLocation(buf, 0, f, time);
    const ref = encode0200(asInput(f, time));
    if (n !== LOCATION_BODY_LENGTH || !buf.subarray(0, n).equals(ref)) {
      t.fail(`body ${i} differs: ${buf.subarray(0, n).toString('hex')} vs ${ref.toString('hex')}`);
      return;
    }
    const d = decode0200(buf.subarray(0, n), { layout: '2013', utcOffsetMinutes: 480 });
    if (!d.ok || d.value.time !== time || d.value.acc !== (f.acc === 1) || d.value.mileageRaw !== f.odometerRaw) t.fail(`decode ${i}`);
  }
  t.pass('200 bodies byte-exact');
});

t.test('BCD time equals the codec across days, months and years', async (t) => {
  const a = Buffer.alloc(6);
  const b = Buffer.alloc(6);
  for (let ms = Date.UTC(2024, 0, 1) - 3_600_000; ms < Date.UTC(2027, 0, 2); ms += 86_400_000 / 7 + 12_345_000) {
    const whole = Math.floor(ms / 1000) * 1000;
    writeBcdTime8(a, 0, whole);
    writeBcdTime(b, 0, whole, 480);
    if (!a.equals(b)) {
      t.fail(`time ${new Date(whole).toISOString()}: ${a.toString('hex')} vs ${b.toString('hex')}`);
      return;
    }
  }
  t.pass('equal');
});

t.test('frames equal encodePacket: both layouts, escapes, fragments', async (t) => {
  const out = Buffer.alloc(4096);
  const cases: Array<{ layout: '2013' | '2019'; phone: string }> = [
    { layout: '2013', phone: '013900000001' },
    { layout: '2019', phone: '00000000013900000001' },
    { layout: '2013', phone: '017e7d7e7d01' }, // escapes inside the phone
  ];
  for (const c of cases) {
    const w = new FrameWriter(c.layout, c.phone);
    for (const serial of [0, 1, 0x7e, 0x7d7e, 0x7e7d, 0xffff]) {
      for (const msgId of [0x0002, 0x0200, 0x0704, 0x0100]) {
        const body = Buffer.from([0x7e, 0x00, 0x7d, msgId & 0xff, serial & 0xff, 0x7e]);
        const n = w.write(out, 0, msgId, serial, body, 0, body.length);
        const ref = encodePacket({ msgId, layout: c.layout, phoneBcd: c.phone, serial }, body);
        if (!out.subarray(0, n).equals(ref)) {
          t.fail(`${c.layout} ${msgId.toString(16)} serial ${serial}: ${out.subarray(0, n).toString('hex')} vs ${ref.toString('hex')}`);
          return;
        }
        const e = w.write(out, 0, msgId, serial, Buffer.alloc(0), 0, 0);
        if (!out.subarray(0, e).equals(encodePacket({ msgId, layout: c.layout, phoneBcd: c.phone, serial }, Buffer.alloc(0)))) t.fail('empty body');
      }
      const part = Buffer.from('7e7d0102', 'hex');
      const n = w.write(out, 0, 0x0704, serial, part, 0, part.length, 3, 2);
      const ref = encodePacket({ msgId: 0x0704, layout: c.layout, phoneBcd: c.phone, serial, packetTotal: 3, packetIndex: 2 }, part);
      t.ok(out.subarray(0, n).equals(ref), `${c.layout} fragment, serial ${serial}`);
    }
  }
  t.throws(() => new FrameWriter('2013', '1').write(out, 0, 0x0200, 0, Buffer.alloc(1024), 0, 1024), RangeError, 'over 1023 bytes: subpackage it');
});

t.test('0x0704 batch equals encode0704; a subpackaged batch reassembles', async (t) => {
  const body = Buffer.alloc(8192);
  const items = Array.from({ length: 60 }, (_, i) => fields(i));
  let p = writeBatchHead(body, 0, items.length, 1);
  items.forEach((f, i) => (p = writeBatchItem(body, p, f, T0 + i * 10_000)));
  const ref = encode0704({ type: 1, items: items.map((f, i) => asInput(f, T0 + i * 10_000)) });
  t.ok(body.subarray(0, p).equals(ref), '60 items byte-exact');
  t.ok(3 + BATCH_ITEMS_PER_FRAME * (LOCATION_BODY_LENGTH + 2) <= 1023, `${BATCH_ITEMS_PER_FRAME} items fit one frame`);
  const w = new FrameWriter('2019', '13900000009');
  const wire = Buffer.alloc(16384);
  let len = 0;
  const parts = splitBody(body.subarray(0, p), 1000);
  parts.forEach((part, k) => (len = w.write(wire, len, 0x0704, 100 + k, part, 0, part.length, parts.length, k + 1)));
  const got: Buffer[] = [];
  new FrameSplitter().push(wire.subarray(0, len), { frame: (f) => void got.push(Buffer.from(f)), error: () => t.fail('splitter error') });
  t.equal(got.length, parts.length, `${parts.length} fragments on the wire`);
  const joined = Buffer.concat(got.map((f) => {
    const d = decodePacket(f);
    if (!d.ok || !d.value.checksumOk) throw new Error('bad fragment');
    return d.value.body;
  }));
  const batch = decode0704(joined, { layout: '2019', utcOffsetMinutes: 480 });
  t.ok(batch.ok && batch.value.items.length === 60 && batch.value.type === 1, 'reassembled body decodes as a 60-item backfill');
});

t.test('timer wheel: fires in time order, reschedule, cancel, far future', async (t) => {
  const w = new TimerWheel(4, 5, 1000, 16);
  const fired: string[] = [];
  w.schedule(0, 1003);
  w.schedule(1, 1050);
  w.schedule(2, 1000 + 16 * 5 * 3 + 2); // three laps ahead
  w.schedule(3, 1020);
  w.cancel(3);
  for (let now = 1000; now <= 1300; now += 7) {
    w.advance(now, (id) => {
      fired.push(`${id}@${now}`);
      if (id === 0 && now < 1040) w.schedule(0, now + 10);
    });
  }
  t.same(fired, ['0@1007', '0@1021', '0@1035', '0@1049', '1@1056', '2@1245'], 'each fires once its time has come');
  w.schedule(1, 1400);
  w.scheduleEarlier(1, 1500);
  t.equal(w.due(1), 1400, 'scheduleEarlier keeps the earlier time');
  w.scheduleEarlier(1, 1350);
  t.equal(w.due(1), 1350);
});

t.test('latency histogram percentiles within 2 %', async (t) => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 100_000; i++) h.record(i);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const v = h.quantileUs(q);
    t.ok(Math.abs(v - q * 100_000) / (q * 100_000) < 0.02, `p${q * 100} = ${v}`);
  }
  t.equal(h.quantileUs(1), 100_000, 'max exact');
  t.equal(Math.round(h.meanUs), 50_001);
});

t.test('seq queue keeps FIFO order while growing', async (t) => {
  const q = new SeqQueue();
  const out: number[] = [];
  for (let i = 0; i < 100; i++) {
    q.push(i);
    if (i % 3 === 0) out.push(q.shift());
  }
  while (q.size > 0) out.push(q.shift());
  t.same(out, Array.from({ length: 100 }, (_, i) => i));
});
