/**
 * 0x0200 / 0x0201 / 0x0704 / 0x8201 / 0x8202 (SPEC §7.9-§7.12) and the position row built from them.
 * Focused cases: the generic all-vectors test lives elsewhere; here every location vector is decoded
 * and each key its `expect`/`computed` holds is compared with our field.
 */
import t from 'tap';
import {
  decode0200,
  decode0201,
  decode0704,
  decode8201,
  decode8202,
  encode0200,
  encode0201,
  encode0704,
  encode8201,
  encode8202,
  RAW_ITEM,
  type Location,
  type LocationInput,
} from '../../../protocols/jt808/messages/location.js';
import { toSignMagnitude16 } from '../../../protocols/jt808/messages/extras.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from '../../../protocols/jt808/messages/options.js';
import { unescapeFrame } from '../../../protocols/jt808/framing.js';
import { decodePacket } from '../../../protocols/jt808/packet.js';
import type { DecodeResult } from '../../../protocols/jt808/errors.js';
import { toPositionRow } from '../../../src/decode/position-row.js';
import { assertSanePosition } from '../../helpers/sane-position.js';
import { hexToBuffer, loadVectors, type LoadedVector } from '../../helpers/vectors.js';

const OPTS: BodyOptions = DEFAULT_BODY_OPTIONS;

/** Epoch ms of a Beijing (GMT+8) wall-clock time, the zone of every fixture below. */
function bj(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return Date.UTC(y, mo - 1, d, h, mi, s) - 8 * 3_600_000;
}

/** Location → plain object for comparison: undefined keys dropped, Buffers as hex. */
function view(loc: Location): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(loc)) {
    if (v === undefined) continue;
    if (Buffer.isBuffer(v)) out[k] = v.toString('hex');
    else if (k === 'extras') out[k] = (v as Location['extras']).map((x) => ({ id: x.id, len: x.len, raw: x.raw.toString('hex') }));
    else if (k === 'truncatedExtra') out[k] = { ...(v as object), raw: (v as { raw: Buffer }).raw.toString('hex') };
    else out[k] = v;
  }
  return out;
}

function mustDecode<T>(t: Tap, r: DecodeResult<T>): T {
  if (!r.ok) {
    t.fail(`decode failed: ${r.code} at ${r.offset} ${r.detail ?? ''}`);
    throw new Error('decode failed');
  }
  return r.value;
}

/** The part of a tap Test the helpers below use. */
interface Tap {
  fail(message: string): unknown;
  pass(message: string): unknown;
}

/** Every prefix of a 0x0200 body: BODY_SHORT below 28 bytes, otherwise ok and never over-read. */
function checkTruncations0200(t: Tap, body: Buffer): void {
  for (let n = 0; n < body.length; n++) {
    const r = decode0200(body.subarray(0, n), OPTS);
    if (n < 28) {
      if (r.ok || r.code !== 'BODY_SHORT') t.fail(`prefix ${n}: expected BODY_SHORT, got ${JSON.stringify(r.ok ? 'ok' : r.code)}`);
      continue;
    }
    if (!r.ok) {
      t.fail(`prefix ${n}: ${r.code}`);
      continue;
    }
    // A clamped subarray would hide an over-read: every raw view must have its declared length.
    for (const x of r.value.extras) if (x.raw.length !== x.len) t.fail(`prefix ${n}: extra 0x${x.id.toString(16)} over-read`);
    if (r.value.truncatedExtra && r.value.truncatedExtra.offset >= n) t.fail(`prefix ${n}: truncated offset past the end`);
  }
  t.pass(`${body.length} truncations of the body`);
}

/** Every prefix must give an error value (used where no prefix is a valid message). */
function checkTruncationsFail<T>(t: Tap, body: Buffer, decode: (b: Buffer, o: BodyOptions) => DecodeResult<T>): void {
  let bad = 0;
  for (let n = 0; n < body.length; n++) {
    const r = decode(body.subarray(0, n), OPTS);
    if (r.ok) {
      bad++;
      t.fail(`prefix ${n} of ${body.length} decoded`);
    }
  }
  if (bad === 0) t.pass(`${body.length} truncations give errors`);
}

// ---------------------------------------------------------------------------------------------------
// Hand-made 0x0200 fixtures (SPEC §7.9; time example from §5.1).

interface Fixture {
  name: string;
  /** 0x0200 body. */
  hex: string;
  expect: Record<string, unknown>;
  /** The full raw-extras list, when it matters. */
  extras?: Array<{ id: number; len: number; raw: string }>;
  /** Why the body does not re-encode byte for byte (invalid times decode to null). */
  noReencode?: string;
  /** Why assertSanePosition does not apply. */
  insane?: string;
}

const BASIC_BJ = '00000000 00000003 0260f572 06f01448 002c 0271 005a 180715101010';

const FIXTURES: Fixture[] = [
  {
    name: '0x0200 basic only, Beijing, ACC on, positioned, SPEC time example',
    hex: BASIC_BJ,
    expect: {
      alarm: 0, status: 3, acc: true, positioned: true, latE6: 39908722, lonE6: 116397128, lat: 39.908722, lon: 116.397128,
      coordinatesValid: true, altitudeM: 44, speedRaw: 625, speedKmh: 62.5, direction: 90, time: bj(2018, 7, 15, 10, 10, 10),
      extras: [],
    },
  },
  {
    name: '0x0200 south + west hemispheres (status bits 2/3), leap day',
    hex: '00000000 0000000e 021002ca 037ad518 0019 0000 0167 240229235959',
    expect: { status: 0x0e, acc: false, positioned: true, latE6: -34603722, lonE6: -58381592, lat: -34.603722, lon: -58.381592, direction: 359, time: bj(2024, 2, 29, 23, 59, 59) },
  },
  {
    name: '0x0200 south only, zero longitude with west bit (no -0)',
    hex: '00000000 0000000e 021002ca 00000000 0000 0000 0000 240101000000',
    expect: { latE6: -34603722, lonE6: 0, lon: 0 },
  },
  {
    name: '0x0200 unpositioned, all-zero time → null',
    hex: '00000000 00000000 00000000 00000000 0000 0000 0000 000000000000',
    expect: { positioned: false, time: null, latE6: 0, lonE6: 0, coordinatesValid: true },
  },
  {
    name: '0x0200 month 13 → null time',
    hex: `${BASIC_BJ.slice(0, -12)}181315101010`,
    expect: { time: null },
    noReencode: 'an invalid time decodes to null, which encodes as zeros',
  },
  {
    name: '0x0200 February 30 → null time',
    hex: `${BASIC_BJ.slice(0, -12)}230230101010`,
    expect: { time: null },
    noReencode: 'an invalid time decodes to null, which encodes as zeros',
  },
  {
    name: '0x0200 hour 24 → null time',
    hex: `${BASIC_BJ.slice(0, -12)}230101240000`,
    expect: { time: null },
    noReencode: 'an invalid time decodes to null, which encodes as zeros',
  },
  {
    name: '0x0200 2013, extras 0x01/0x02/0x30/0x31, 0x05 len 3 and 0x06 len 1 (vendor reuse), vendor 0xE1, 0xEB nest',
    hex: `${BASIC_BJ} 01 04 0001e240 02 02 01f4 05 03 010203 06 01 55 30 01 1c 31 01 0c e1 03 aabbcc eb 08 0006 0089 ffffffff`,
    expect: { mileageRaw: 123456, mileageKm: 12345.6, fuelRaw: 500, fuelL: 50, rssi: 28, satellites: 12 },
    extras: [
      { id: 0x05, len: 3, raw: '010203' },
      { id: 0x06, len: 1, raw: '55' },
      { id: 0xe1, len: 3, raw: 'aabbcc' },
      { id: 0xeb, len: 8, raw: '00060089ffffffff' },
    ],
  },
  {
    name: '0x0200 2019 items: 0x03, 0x04, 0x05 tire pressure, 0x06 carriage −20 °C (sign-magnitude)',
    hex: `${BASIC_BJ} 03 02 0271 04 02 0007 05 1e ${'64'.repeat(4)}${'ff'.repeat(26)} 06 02 8014`,
    expect: { tirePressure: '64646464' + 'ff'.repeat(26), carriageTempC: -20, recorderSpeedKmh: 62.5, alarmEventId: 7, extras: [] },
  },
  {
    name: '0x0200 0x06 +25 °C, then a second 0x06 (0x8000) kept raw',
    hex: `${BASIC_BJ} 06 02 0019 06 02 8000`,
    expect: { carriageTempC: 25 },
    extras: [{ id: 0x06, len: 2, raw: '8000' }],
  },
  {
    name: '0x0200 0x11 len 1 (no area), 0x12, 0x13, 0x25, 0x2A, 0x2B analog (first WORD = AD1)',
    hex: `${BASIC_BJ} 11 01 00 12 06 02 0000000a 01 13 07 00000063 012c 00 25 04 00000003 2a 02 0002 2b 04 0001 0002`,
    expect: {
      overspeed: { locationType: 0 },
      areaAlarm: { locationType: 2, areaId: 10, direction: 1 },
      routeTime: { sectionId: 99, seconds: 300, result: 0 },
      analog: { ad0: 2, ad1: 1 },
      extSignals: 3,
      ioStatus: 2,
      extras: [],
    },
  },
  {
    name: '0x0200 JT/T 1078 items 0x14-0x17; a 2-byte 0x14 and 0x18 stay raw',
    hex: `${BASIC_BJ} 14 04 00000005 14 02 ffff 15 04 00000001 16 04 00000002 17 02 0003 18 03 010203`,
    expect: { videoAlarm: 5, videoSignalLoss: 1, videoOcclusion: 2, videoStorageFault: 3 },
    extras: [
      { id: 0x14, len: 2, raw: 'ffff' },
      { id: 0x18, len: 3, raw: '010203' },
    ],
  },
  {
    name: '0x0200 duplicate 0x01: first typed, second raw; zero-length item',
    hex: `${BASIC_BJ} 01 04 00000064 01 04 000000c8 e2 00`,
    expect: { mileageRaw: 100 },
    extras: [
      { id: 0x01, len: 4, raw: '000000c8' },
      { id: 0xe2, len: 0, raw: '' },
    ],
  },
  {
    name: '0x0200 truncated last item (SmallChi Test8 shape: F6 04 14 50)',
    hex: `${BASIC_BJ} 30 01 17 f6 04 1450`,
    expect: { rssi: 23, truncatedExtra: { id: 0xf6, offset: 31, raw: 'f6041450' } },
    extras: [],
  },
  {
    name: '0x0200 one stray byte after the items (id without length)',
    hex: `${BASIC_BJ} 31 01 09 e0`,
    expect: { satellites: 9, truncatedExtra: { id: 0xe0, offset: 31, raw: 'e0' } },
    extras: [],
  },
  {
    name: '0x0200 latitude > 90° kept but flagged (swapped synthetic sample)',
    hex: '00000400 00000800 07203b7e 02633df7 0138 0003 0063 241001235959',
    expect: { latE6: 119552894, lonE6: 40058359, coordinatesValid: false, alarm: 1024, status: 2048, time: bj(2024, 10, 1, 23, 59, 59) },
    insane: 'latitude 119.55° is the point of the case',
  },
];

t.test('0x0200 fixtures', async (t) => {
  for (const f of FIXTURES) {
    await t.test(f.name, async (t) => {
      const body = hexToBuffer(f.hex);
      const loc = mustDecode(t, decode0200(body, OPTS));
      t.has(view(loc), f.expect);
      if (f.extras) t.same(view(loc).extras, f.extras, 'raw extras');
      if (f.insane) t.notOk(loc.coordinatesValid && loc.speedKmh < 400, f.insane);
      else assertSanePosition(t, loc);
      if (f.noReencode) t.comment(`no re-encode: ${f.noReencode}`);
      else t.equal(encode0200({ ...loc, utcOffsetMinutes: 480 }).toString('hex'), body.toString('hex'), 're-encodes byte-exact');
      checkTruncations0200(t, body);
    });
  }
});

t.test('0x0200 errors', async (t) => {
  const badBcd = hexToBuffer(`${BASIC_BJ.slice(0, -12)}18071510101a`);
  t.match(decode0200(badBcd, OPTS), { ok: false, code: 'BAD_BCD', offset: 22 }, 'non-BCD time nibble');
  t.match(decode0200(hexToBuffer('00'.repeat(27)), OPTS), { ok: false, code: 'BODY_SHORT', offset: 27 });
  t.match(decode0200(Buffer.alloc(0), OPTS), { ok: false, code: 'BODY_SHORT' });
});

t.test('time zone comes from the options', async (t) => {
  const body = hexToBuffer(BASIC_BJ);
  const utc = mustDecode(t, decode0200(body, { layout: '2013', utcOffsetMinutes: 0 }));
  t.equal(utc.time, Date.UTC(2018, 6, 15, 10, 10, 10));
  const bjLoc = mustDecode(t, decode0200(body, OPTS));
  t.equal(bjLoc.time, Date.UTC(2018, 6, 15, 2, 10, 10));
});

// ---------------------------------------------------------------------------------------------------
// Vectors from shared/jt808/vectors with a location message id.

const UNMAPPED = Symbol('unmapped');

function beijingText(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The TLVs of a location's extra region, re-encoded (equal to the wire: checked by the re-encode test). */
function wireItems(loc: Location): Array<{ id: number; len: number; raw: string }> {
  const b = encode0200({ ...loc, utcOffsetMinutes: 480 });
  const out: Array<{ id: number; len: number; raw: string }> = [];
  for (let p = 28; p + 2 <= b.length && p + 2 + b[p + 1] <= b.length; p += 2 + b[p + 1]) {
    out.push({ id: b[p], len: b[p + 1], raw: b.toString('hex', p + 2, p + 2 + b[p + 1]) });
  }
  return out;
}

function extraValue(loc: Location, id: number, field: string): unknown {
  if (field === 'len') return wireItems(loc).find((x) => x.id === id)?.len;
  if (field === 'raw') return wireItems(loc).find((x) => x.id === id)?.raw;
  const key = `${id.toString(16).padStart(2, '0')}.${field}`;
  switch (key) {
    case '01.mileageRaw': return loc.mileageRaw;
    case '02.fuelRaw': return loc.fuelRaw;
    case '03.recorderSpeedRaw': return loc.recorderSpeedKmh === undefined ? undefined : Math.round(loc.recorderSpeedKmh * 10);
    case '04.alarmEventId': return loc.alarmEventId;
    case '06.value': return loc.carriageTempC === undefined ? undefined : toSignMagnitude16(loc.carriageTempC);
    case '06.carriageTempSigned': return loc.carriageTempC;
    case '11.posType': return loc.overspeed?.locationType;
    case '11.areaId': return loc.overspeed?.areaId;
    case '12.posType': return loc.areaAlarm?.locationType;
    case '12.areaId': return loc.areaAlarm?.areaId;
    case '12.dir': return loc.areaAlarm?.direction;
    case '13.routeId': return loc.routeTime?.sectionId;
    case '13.seconds': return loc.routeTime?.seconds;
    case '13.result': return loc.routeTime?.result;
    case '25.extSignals': return loc.extSignals;
    case '2a.io': return loc.ioStatus;
    case '2b.ad0': return loc.analog?.ad0;
    case '2b.ad1': return loc.analog?.ad1;
    case '30.rssi': return loc.rssi;
    case '31.satellites': return loc.satellites;
    default: return UNMAPPED;
  }
}

/** Maps a vector key (README "Key names", without the `body.` prefix) onto a decoded Location. */
function locationValue(loc: Location, key: string): unknown {
  const extra = /^extra\.0x([0-9a-fA-F]{2})\.(\w+)$/.exec(key);
  if (extra) return extraValue(loc, parseInt(extra[1], 16), extra[2]);
  switch (key) {
    case 'alarm': return loc.alarm;
    case 'status': return loc.status;
    case 'latRaw': return Math.abs(loc.latE6);
    case 'lonRaw': return Math.abs(loc.lonE6);
    case 'lat': return loc.lat;
    case 'lon': return loc.lon;
    case 'south': return (loc.status & 4) !== 0;
    case 'west': return (loc.status & 8) !== 0;
    case 'acc': return loc.acc;
    case 'positioned': return loc.positioned;
    case 'altitude': return loc.altitudeM;
    case 'speedRaw': return loc.speedRaw;
    case 'direction': return loc.direction;
    case 'time': return beijingText(loc.time);
    case 'length': return encode0200({ ...loc, utcOffsetMinutes: 480 }).length; // 0x0704 item length
    default: return UNMAPPED;
  }
}

/** Keys we do not compare here, each with its reason (never a silent skip). */
const DELIBERATE: Record<string, string> = {
  'smallchi-jt808#37 body.lat|signed':
    'SmallChi reads two\'s-complement signed coordinates; the standard (and we) read unsigned DWORDs + status bits 2/3 and flag raw > 90e6 as coordinatesValid=false (SPEC §10.8)',
  'smallchi-jt808#37 body.lon|signed': 'same as body.lat|signed',
};

interface Decoded {
  kind: 'location' | '0201' | '0704' | '8201' | '8202';
  value: unknown;
}

function vectorBody(v: LoadedVector): Buffer {
  if (v.hex === null) return hexToBuffer(v.bodyHex ?? '');
  const u = unescapeFrame(hexToBuffer(v.hex));
  if (!u.ok) throw new Error(`${v.id}: ${u.code}`);
  const p = decodePacket(u.frame);
  if (!p.ok) throw new Error(`${v.id}: ${p.code}`);
  return Buffer.from(p.value.body);
}

function decodeVector(v: LoadedVector, body: Buffer): DecodeResult<Decoded> {
  const wrap = <T>(kind: Decoded['kind'], r: DecodeResult<T>): DecodeResult<Decoded> => (r.ok ? { ok: true, value: { kind, value: r.value } } : r);
  switch (v.msgId) {
    case '0x0200': return wrap('location', decode0200(body, OPTS));
    case '0x0201': return wrap('0201', decode0201(body, OPTS));
    case '0x0704': return wrap('0704', decode0704(body, OPTS));
    case '0x8201': return wrap('8201', decode8201(body, OPTS));
    default: return wrap('8202', decode8202(body, OPTS));
  }
}

function vectorValue(d: Decoded, body: Buffer, key: string): unknown {
  if (!key.startsWith('body.') && !key.startsWith('lib.')) return UNMAPPED;
  const k = key.slice(key.indexOf('.') + 1);
  if (d.kind === 'location') {
    const loc = d.value as Location;
    if (key === 'lib.exceptionLocationAttachOriginalData.count') return loc.truncatedExtra ? 1 : 0;
    if (key === 'lib.basicLocationAttachData.count') return wireItems(loc).length - loc.extras.length;
    if (key === 'lib.unknownLocationAttachData.count') return loc.extras.length;
    return locationValue(loc, k);
  }
  if (d.kind === '0201') {
    const r = d.value as { replySerial: number; location: Location };
    return k === 'replySerial' ? r.replySerial : locationValue(r.location, k);
  }
  if (d.kind === '0704') {
    const b = d.value as { count: number; type: number; items: Location[] };
    if (k === 'count') return b.count;
    if (k === 'type') return b.type;
    const m = /^items\.(\d+)\.(.+)$/.exec(k);
    return m ? locationValue(b.items[Number(m[1])], m[2]) : UNMAPPED;
  }
  if (d.kind === '8201') return k === 'empty' ? body.length === 0 : UNMAPPED;
  const tt = d.value as { intervalS: number; validityS?: number };
  return k === 'interval' ? tt.intervalS : k === 'validity' ? tt.validityS : UNMAPPED;
}

function reencode(d: Decoded): Buffer {
  switch (d.kind) {
    case 'location': return encode0200({ ...(d.value as Location), utcOffsetMinutes: 480 });
    case '0201': {
      const r = d.value as { replySerial: number; location: Location };
      return encode0201(r.replySerial, { ...r.location, utcOffsetMinutes: 480 });
    }
    case '0704': {
      const b = d.value as { type: number; items: Location[] };
      return encode0704({ type: b.type, items: b.items.map((x) => ({ ...x, utcOffsetMinutes: 480 })) });
    }
    case '8201': return encode8201();
    default: return encode8202(d.value as { intervalS: number; validityS?: number });
  }
}

function locationsOf(d: Decoded): Location[] {
  if (d.kind === 'location') return [d.value as Location];
  if (d.kind === '0201') return [(d.value as { location: Location }).location];
  if (d.kind === '0704') return (d.value as { items: Location[] }).items;
  return [];
}

t.test('location vectors', async (t) => {
  const ids = new Set(['0x0200', '0x0201', '0x0704', '0x8201', '0x8202']);
  const vectors = loadVectors().filter((v) => ids.has(v.msgId));
  t.ok(vectors.length >= 15, `${vectors.length} vectors`);
  for (const v of vectors) {
    await t.test(`${v.id} ${v.msgId} ${v.source}`, async (t) => {
      const body = vectorBody(v);
      const d = mustDecode(t, decodeVector(v, body));
      const keys = { ...(v.computed ?? {}), ...v.expect };
      for (const [key, want] of Object.entries(keys)) {
        const why = DELIBERATE[`${v.id} ${key}`];
        if (why) {
          t.comment(`not compared: ${key} (${why})`);
          continue;
        }
        const got = vectorValue(d, body, key);
        if (got === UNMAPPED) {
          if (!key.startsWith('header.') && !key.startsWith('frame.')) t.fail(`unmapped key ${key}`);
          continue; // header/frame keys belong to the generic vector test
        }
        t.same(got, want, key);
      }
      for (const loc of locationsOf(d)) {
        // Synthetic vectors carry swapped coordinates or arbitrary values (README "Known oddities").
        if (loc.coordinatesValid && loc.speedKmh < 400) assertSanePosition(t, loc);
        else t.comment(`not a sane position by design: lat ${loc.lat}, speed ${loc.speedKmh} km/h`);
      }
      t.equal(reencode(d).toString('hex'), body.toString('hex'), 're-encodes byte-exact');
      if (d.kind === 'location') checkTruncations0200(t, body);
      else if (d.kind === '0201') {
        checkTruncationsFail(t, body.subarray(0, 30), decode0201);
        checkTruncations0200(t, body.subarray(2));
      } else if (d.kind !== '8201') checkTruncationsFail(t, body, (b) => decodeVector(v, b));
    });
  }
});

t.test('deliberate difference: SmallChi signed coordinates stay unsigned and invalid', async (t) => {
  const v = loadVectors().find((x) => x.id === 'smallchi-jt808#37');
  if (!v) return t.fail('vector smallchi-jt808#37 missing');
  const loc = mustDecode(t, decode0200(vectorBody(v), OPTS));
  t.equal(loc.latE6, 4282745074);
  t.equal(loc.lonE6, 4162522852);
  t.equal(loc.coordinatesValid, false);
});

// ---------------------------------------------------------------------------------------------------
// 0x0201, 0x0704, 0x8202 specifics.

t.test('0x0201', async (t) => {
  const body = hexToBuffer(`3039 ${BASIC_BJ} 30 01 10`);
  const r = mustDecode(t, decode0201(body, OPTS));
  t.equal(r.replySerial, 12345);
  t.equal(r.location.rssi, 16);
  t.equal(encode0201(12345, { ...r.location }).toString('hex'), body.toString('hex'));
  t.match(decode0201(hexToBuffer('30'), OPTS), { ok: false, code: 'BODY_SHORT' });
  t.match(decode0201(hexToBuffer(`3039 ${BASIC_BJ} e0`), OPTS), { ok: true, value: { location: { truncatedExtra: { id: 0xe0, offset: 30 } } } });
  checkTruncationsFail(t, body.subarray(0, 30), decode0201);
});

t.test('0x0704 layout and errors', async (t) => {
  const item1 = hexToBuffer(BASIC_BJ);
  const item2 = hexToBuffer(`${BASIC_BJ} 01 04 00000064 ff 03 010203`);
  const body = encode0704({ type: 1, items: [{ ...mustDecode(t, decode0200(item1, OPTS)) }, { ...mustDecode(t, decode0200(item2, OPTS)) }] });
  t.equal(body.toString('hex'), `000201001c${item1.toString('hex')}0027${item2.toString('hex')}`);
  const b = mustDecode(t, decode0704(body, OPTS));
  t.equal(b.count, 2);
  t.equal(b.type, 1);
  t.equal(b.items[1].mileageRaw, 100);
  t.same(view(b.items[1]).extras, [{ id: 0xff, len: 3, raw: '010203' }]);
  checkTruncationsFail(t, body, decode0704);

  const h = (s: string) => hexToBuffer(s);
  t.match(decode0704(h(`0000 00 001c ${BASIC_BJ}`), OPTS), { ok: false, code: 'BODY_INVALID', offset: 0 }, 'count 0');
  t.match(decode0704(h(`0001 02 001c ${BASIC_BJ}`), OPTS), { ok: false, code: 'BODY_INVALID', offset: 2 }, 'type 2');
  t.match(decode0704(h(`0001 00 001c ${BASIC_BJ} 001c ${BASIC_BJ}`), OPTS), { ok: false, code: 'BODY_INVALID', offset: 33 }, 'more items than the count');
  t.match(decode0704(h(`0003 00 001c ${BASIC_BJ} 001c ${BASIC_BJ}`), OPTS), { ok: false, code: 'BODY_SHORT' }, 'fewer items than the count');
  t.match(decode0704(h(`0001 00 000a ${'00'.repeat(10)}`), OPTS), { ok: false, code: 'BODY_SHORT', offset: 15 }, 'item shorter than 28 bytes');
  const badTime = `${BASIC_BJ.slice(0, -12)}1807151010ff`;
  t.match(decode0704(h(`0002 00 001c ${BASIC_BJ} 001c ${badTime}`), OPTS), { ok: false, code: 'BAD_BCD', offset: 3 + 30 + 2 + 22 }, 'bad item 1: offset in the 0x0704 body');
  t.match(decode0704(h(`0001 00 00ff ${BASIC_BJ}`), OPTS), { ok: false, code: 'BODY_SHORT' }, 'item length past the end');
  t.throws(() => encode0704({ type: 0, items: [] }), RangeError);
});

t.test('0x8201 / 0x8202', async (t) => {
  t.equal(encode8201().length, 0);
  const track = encode8202({ intervalS: 5, validityS: 600 });
  t.equal(track.toString('hex'), '000500000258');
  t.same(mustDecode(t, decode8202(track, OPTS)), { intervalS: 5, validityS: 600 });
  const stop = encode8202({ intervalS: 0 });
  t.equal(stop.toString('hex'), '0000');
  t.same(mustDecode(t, decode8202(stop, OPTS)), { intervalS: 0 });
  t.match(decode8202(hexToBuffer('0005'), OPTS), { ok: false, code: 'BODY_SHORT' }, 'interval without validity');
  t.match(decode8202(hexToBuffer('00050000'), OPTS), { ok: false, code: 'BODY_SHORT' });
  checkTruncationsFail(t, track, decode8202);
  t.throws(() => encode8202({ intervalS: 5 }), RangeError);
  t.throws(() => encode8202({ intervalS: 70000, validityS: 1 }), RangeError);
});

// ---------------------------------------------------------------------------------------------------
// Encoder: hemispheres, units, and a seeded round trip.

t.test('encode0200 sets hemisphere bits from the sign', async (t) => {
  const body = encode0200({ lat: -33.86882, lon: -151.20929, status: 2, time: bj(2024, 5, 1, 8, 0, 0), speedKmh: 36.5, mileageKm: 1.5, fuelL: 20 });
  const loc = mustDecode(t, decode0200(body, OPTS));
  t.has(view(loc), { status: 2 | 4 | 8, latE6: -33868820, lonE6: -151209290, speedRaw: 365, mileageRaw: 15, fuelRaw: 200, time: bj(2024, 5, 1, 8, 0, 0) });
  const north = mustDecode(t, decode0200(encode0200({ latE6: 1, lonE6: 1, status: 0xffffffff, time: null }), OPTS));
  t.equal(north.status, 0xfffffff3, 'south/west cleared for positive values');
  t.throws(() => encode0200({ time: null, direction: -1 }), RangeError);
  t.throws(() => encode0200({ time: null, extras: [{ id: 0xe1, raw: Buffer.alloc(256) }] }), RangeError);
});

/** mulberry32: small, seeded, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('round trip: 3000 random locations', async (t) => {
  const rnd = prng(0x808);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const maybe = <T>(p: number, f: () => T): T | undefined => (rnd() < p ? f() : undefined);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  const from = Date.UTC(2001, 0, 1) / 1000;
  const to = Date.UTC(2098, 11, 31) / 1000;
  const typedKeys = [
    'mileageRaw', 'fuelRaw', 'recorderSpeedKmh', 'alarmEventId', 'tirePressure', 'carriageTempC', 'overspeed', 'areaAlarm', 'routeTime', 'videoAlarm',
    'videoSignalLoss', 'videoOcclusion', 'videoStorageFault', 'extSignals', 'ioStatus', 'analog', 'rssi', 'satellites',
  ] as const;
  let failures = 0;
  for (let i = 0; i < 3000 && failures < 5; i++) {
    const utcOffsetMinutes = int(-48, 56) * 15;
    const input: LocationInput = {
      alarm: int(0, 0xffffffff),
      status: int(0, 0xffffffff),
      latE6: int(-90_000_000, 90_000_000),
      lonE6: int(-180_000_000, 180_000_000),
      altitudeM: int(0, 0xffff),
      speedRaw: int(0, 3999),
      direction: int(0, 359),
      time: rnd() < 0.05 ? null : int(from, to) * 1000,
      utcOffsetMinutes,
      mileageRaw: maybe(0.6, () => int(0, 0xffffffff)),
      fuelRaw: maybe(0.5, () => int(0, 0xffff)),
      recorderSpeedKmh: maybe(0.1, () => int(0, 0xffff) / 10),
      alarmEventId: maybe(0.1, () => int(0, 0xffff)),
      tirePressure: maybe(0.05, () => bytes(30)),
      carriageTempC: maybe(0.1, () => int(-32767, 32767)),
      overspeed: maybe(0.1, () => (rnd() < 0.5 ? { locationType: 0 } : { locationType: int(1, 4), areaId: int(0, 0xffffffff) })),
      areaAlarm: maybe(0.1, () => ({ locationType: int(1, 4), areaId: int(0, 0xffffffff), direction: int(0, 1) })),
      routeTime: maybe(0.1, () => ({ sectionId: int(0, 0xffffffff), seconds: int(0, 0xffff), result: int(0, 1) })),
      videoAlarm: maybe(0.1, () => int(0, 0xffffffff)),
      videoSignalLoss: maybe(0.1, () => int(0, 0xffffffff)),
      videoOcclusion: maybe(0.1, () => int(0, 0xffffffff)),
      videoStorageFault: maybe(0.1, () => int(0, 0xffff)),
      extSignals: maybe(0.3, () => int(0, 0xffffffff)),
      ioStatus: maybe(0.3, () => int(0, 0xffff)),
      analog: maybe(0.2, () => ({ ad0: int(0, 0xffff), ad1: int(0, 0xffff) })),
      rssi: maybe(0.5, () => int(0, 255)),
      satellites: maybe(0.5, () => int(0, 255)),
      extras: Array.from({ length: int(0, 3) }, () => ({ id: int(0xe1, 0xff), raw: bytes(int(0, 12)) })),
    };
    const body = encode0200(input);
    const r = decode0200(body, { layout: '2013', utcOffsetMinutes });
    if (!r.ok) {
      failures++;
      t.fail(`#${i}: ${r.code}`);
      continue;
    }
    const loc = r.value;
    let status = input.status!;
    if (input.latE6 !== 0) status = input.latE6! < 0 ? status | 4 : status & ~4;
    if (input.lonE6 !== 0) status = input.lonE6! < 0 ? status | 8 : status & ~8;
    const pick = (x: object) => {
      const o: Record<string, unknown> = {};
      for (const k of typedKeys) {
        const v = (x as Record<string, unknown>)[k];
        if (v !== undefined) o[k] = Buffer.isBuffer(v) ? v.toString('hex') : v;
      }
      return o;
    };
    const want = {
      alarm: input.alarm, status: status >>> 0, latE6: input.latE6, lonE6: input.lonE6, altitudeM: input.altitudeM, speedRaw: input.speedRaw,
      direction: input.direction, time: input.time, typed: pick(input),
      // encode0200 writes raw items after the typed ones, sorted by id (stable).
      extras: input.extras!.map((x) => ({ id: x.id, len: x.raw.length, raw: Buffer.from(x.raw).toString('hex') })).sort((a, b) => a.id - b.id),
    };
    const got = {
      alarm: loc.alarm, status: loc.status, latE6: loc.latE6, lonE6: loc.lonE6, altitudeM: loc.altitudeM, speedRaw: loc.speedRaw,
      direction: loc.direction, time: loc.time, typed: pick(loc),
      extras: loc.extras.map((x) => ({ id: x.id, len: x.len, raw: x.raw.toString('hex') })),
    };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures++;
      t.same(got, want, `round trip #${i}`);
    }
    if (!loc.coordinatesValid || loc.truncatedExtra) {
      failures++;
      t.fail(`#${i}: flagged invalid`);
    }
    if (encode0200({ ...loc, utcOffsetMinutes }).compare(body) !== 0) {
      failures++;
      t.fail(`#${i}: re-encode differs`);
    }
    if (toPositionRow('1', loc, 0, 0).extras !== wireResidualHex(body)) {
      failures++;
      t.fail(`#${i}: row extras differ from the wire`);
    }
  }
  t.equal(failures, 0, 'no round-trip failure');
});

// ---------------------------------------------------------------------------------------------------
// Position row.

t.test('toPositionRow', async (t) => {
  const v = loadVectors().find((x) => x.id === 'smallchi-jt808#16');
  if (!v) return t.fail('vector smallchi-jt808#16 missing');
  const loc = mustDecode(t, decode0200(vectorBody(v), OPTS));
  const row = toPositionRow('112233445566', loc, 1_700_000_000, 0);
  t.same(row, {
    terminal: '112233445566',
    ts: Date.UTC(2018, 6, 15, 2, 10, 10) / 1000,
    recvTs: 1_700_000_000,
    latE6: 12222222,
    lonE6: 132444444,
    speed: 60,
    direction: 0,
    altitude: 40,
    alarm: 1,
    status: 2,
    odometer: 100,
    fuel: 55,
    satellites: 5,
    signal: 2,
    backfill: 0,
    // 0x03 0x04 0x11 0x12 0x13 0x25 0x2A 0x2B as received; 0x01 0x02 0x30 0x31 are in columns.
    extras: '03020038' + '04020001' + '11050100000001' + '1206010000000101' + '130700000002002201' + '250400000017' + '2a0200f4' + '2b04000000f2',
  });

  const plain = mustDecode(t, decode0200(hexToBuffer(BASIC_BJ), OPTS));
  t.has(toPositionRow('1', plain, 5, 1), { odometer: 0, fuel: 0, satellites: 0, signal: 0, backfill: 1, extras: '' });
  const noTime = mustDecode(t, decode0200(hexToBuffer('00'.repeat(28)), OPTS));
  t.equal(toPositionRow('1', noTime, 5, 0).ts, 0, 'no device time → ts 0');
  const signed = mustDecode(t, decode0200(hexToBuffer('0000000118000000FF4580F2F81B0EE40028003C0000180715101010'), OPTS));
  t.has(toPositionRow('1', signed, 5, 0), { latE6: 0, lonE6: 0, speed: 60 }, 'coordinates off the globe → 0/0');
  const south = mustDecode(t, decode0200(hexToBuffer('00000000 0000000e 021002ca 037ad518 0019 0000 0167 240229235959'), OPTS));
  t.has(toPositionRow('1', south, 5, 0), { latE6: -34603722, lonE6: -58381592 });

  const dup = mustDecode(t, decode0200(hexToBuffer(`${BASIC_BJ} 01 04 00000064 01 04 000000c8 30 02 0102 31 01 07 f6 04 1450`), OPTS));
  t.has(toPositionRow('1', dup, 5, 0), { odometer: 100, satellites: 7, signal: 0 });
  t.equal(toPositionRow('1', dup, 5, 0).extras, '0104000000c8' + '30020102' + 'f6041450', 'duplicate 0x01, odd-length 0x30 and the truncated tail stay');
  const allColumns = mustDecode(t, decode0200(hexToBuffer(`${BASIC_BJ} 0104000000013001023101030202000a`), OPTS));
  t.equal(toPositionRow('1', allColumns, 5, 0).extras, '', 'all in columns, whatever the order');
});

/**
 * Independent reference for the row's extras: walk the received bytes, drop the first well-formed
 * 0x01/0x02/0x30/0x31, keep everything else (a truncated tail too) in wire order.
 */
function wireResidualHex(body: Buffer): string {
  const columns: Record<number, number> = { 0x01: 4, 0x02: 2, 0x30: 1, 0x31: 1 };
  const seen = new Set<number>();
  let hex = '';
  let p = 28;
  while (p + 2 <= body.length && p + 2 + body[p + 1] <= body.length) {
    const id = body[p];
    const next = p + 2 + body[p + 1];
    if (columns[id] === body[p + 1] && !seen.has(id)) seen.add(id);
    else hex += body.toString('hex', p, next);
    p = next;
  }
  return hex + body.toString('hex', p);
}

t.test('row extras = received bytes minus the column items (fixtures and vectors)', async (t) => {
  const bodies = FIXTURES.map((f) => hexToBuffer(f.hex));
  for (const v of loadVectors().filter((x) => x.msgId === '0x0200')) bodies.push(vectorBody(v));
  for (const body of bodies) {
    const loc = mustDecode(t, decode0200(body, OPTS));
    t.equal(toPositionRow('1', loc, 0, 0).extras, wireResidualHex(body), body.toString('hex', 28, 40));
  }
});

t.test('carriage temperature 0x8000 ("minus zero" in sign-magnitude): 0 °C, stored and re-encoded as sent', async (t) => {
  const body = hexToBuffer(`${BASIC_BJ} 06 02 8000`);
  const loc = mustDecode(t, decode0200(body, OPTS));
  t.ok(Object.is(loc.carriageTempC, -0), 'reads as -0');
  t.equal(JSON.stringify({ c: loc.carriageTempC }), '{"c":0}', 'which is 0 to JSON');
  t.equal(toPositionRow('1', loc, 0, 0).extras, '06028000', 'the row keeps the wire bytes');
  t.equal(encode0200({ ...loc, utcOffsetMinutes: 480 }).toString('hex'), body.toString('hex'), 're-encodes byte-exact');
  t.equal(encode0200({ ...loc, carriageTempC: 0, utcOffsetMinutes: 480 }).toString('hex', 28), '06020000', 'a plain 0 is 0x0000');
});

t.test('extra items in a non-standard order: wire order recorded, bytes reproduced', async (t) => {
  const body = hexToBuffer(`${BASIC_BJ} e1 01 aa 31 01 05 25 04 00000001 01 04 00000064 05 03 010203 30 01 10 01 04 00000001`);
  const loc = mustDecode(t, decode0200(body, OPTS));
  t.same(loc.extraOrder, [RAW_ITEM | 0xe1, 0x31, 0x25, 0x01, RAW_ITEM | 0x05, 0x30, RAW_ITEM | 0x01]);
  t.equal(encode0200({ ...loc, utcOffsetMinutes: 480 }).toString('hex'), body.toString('hex'), 're-encodes byte-exact');
  t.equal(toPositionRow('1', loc, 0, 0).extras, 'e101aa' + '250400000001' + '0503010203' + '010400000001', 'row: wire order');
  // Fields added after decoding are not lost: they follow the recorded items.
  const more = encode0200({ ...loc, ioStatus: 3, extras: [...loc.extras, { id: 0xf0, len: 1, raw: Buffer.from([9]) }], utcOffsetMinutes: 480 });
  t.equal(more.toString('hex', body.length), '2a020003' + 'f00109');
  const ascending = mustDecode(t, decode0200(hexToBuffer(`${BASIC_BJ} 01 04 00000064 05 03 010203 25 04 00000001 e1 01 aa`), OPTS));
  t.equal(ascending.extraOrder, undefined, 'ascending order (raw 0x05 among typed ids) records nothing');
});

t.test('shuffled item orders: 1000 random bodies re-encode byte-exact', async (t) => {
  const rnd = prng(0x0200);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pool = [
    '010400000064', '02020190', '03020271', '04020007', `051e${'64'.repeat(30)}`, '06028014', '110100', '11050200000009', '1206020000000a01',
    '1307000000630' + '12c00', '140400000005', '15040000000f', '160400000001', '17020003', '250400000003', '2a020002', '2b0400010002',
    '300117', '310109', 'e101aa', 'eb0800060089ffffffff', '0503010203', '060155', '0104000000c8', '1402ffff', 'fa00', '18030102' + '03',
  ];
  for (const h of pool) if (hexToBuffer(h).length !== 2 + hexToBuffer(h)[1]) throw new Error(`bad pool item ${h}`);
  let bad = 0;
  for (let i = 0; i < 1000 && bad < 5; i++) {
    const items = pool.filter(() => rnd() < 0.4).map((h) => hexToBuffer(h));
    for (let k = items.length - 1; k > 0; k--) {
      const j = int(0, k);
      [items[k], items[j]] = [items[j], items[k]];
    }
    const body = Buffer.concat([hexToBuffer(BASIC_BJ), ...items, ...(rnd() < 0.1 ? [hexToBuffer('f60414')] : [])]);
    const loc = mustDecode(t, decode0200(body, OPTS));
    const again = encode0200({ ...loc, utcOffsetMinutes: 480 });
    if (again.compare(body) !== 0) {
      bad++;
      t.equal(again.toString('hex'), body.toString('hex'), `body ${i}`);
    }
    if (toPositionRow('1', loc, 0, 0).extras !== wireResidualHex(body)) {
      bad++;
      t.equal(toPositionRow('1', loc, 0, 0).extras, wireResidualHex(body), `row ${i}`);
    }
  }
  t.equal(bad, 0, 'all reproduced');
});
