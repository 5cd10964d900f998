/**
 * The RowBinary decode path (src/decode/decode-row-binary.ts) against the object path it replaces
 * (decodeRecords + encodePositions, decode-read.ts decodeReadRows) on the same records: the same body bytes,
 * counts, columns (the whole transferred ArrayBuffer), late marks, registrations and stats. Records: the JT808
 * vectors, simulator fleets, and seeded random records with every edge the paths must agree on.
 */
import t, { type Test } from 'tap';
import { writeBcdTime } from '../../protocols/jt808/bcd.js';
import { unescapeFrame } from '../../protocols/jt808/framing.js';
import { decodePacket } from '../../protocols/jt808/packet.js';
import { encode0100 } from '../../protocols/jt808/messages/register.js';
import { fleetRecords } from '../../bench/lib/spool-records.js';
import { mulberry32 } from '../../bench/store-synth.js';
import { decodeRead, decodeReadRows, transferables, type DecodedRead } from '../../src/decode/decode-read.js';
import { decodeReadRowBinary } from '../../src/decode/decode-row-binary.js';
import type { SpooledRecord } from '../../src/decode/decode-records.js';
import { createDecoder } from '../../src/decode/pool.js';
import { FLAG_FRAGMENT, recordSize, writeRecord } from '../../src/decode/record.js';
import type { EncodeContext, PositionColumns } from '../../src/store/rows.js';
import { hexToBuffer, loadVectors } from '../helpers/vectors.js';

const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);
const DAY_S = 86_400;

/** Today starts mid-data: rows on both sides, late marks for several past days. */
const ctx: EncodeContext = { format: 'RowBinary', extrasColumn: 'extras', timezone: 'Asia/Shanghai', todayStart: T0 / 1000 - DAY_S / 2 };

function record(msgId: number, body: Uint8Array, phoneBcd: string, o: { stampMs?: number; flags?: number; utcOffsetMinutes?: number; layout?: '2013' | '2019' } = {}): SpooledRecord {
  const buf = Buffer.alloc(recordSize(phoneBcd, body.length));
  const fields = { flags: o.flags ?? 1, utcOffsetMinutes: o.utcOffsetMinutes ?? 480, msgId, serial: 7, layout: o.layout ?? '2013', phoneBcd };
  const n = writeRecord(buf, fields, body);
  return { stampMs: o.stampMs ?? T0 + 2000, data: buf.subarray(0, n) };
}

const COLUMN_KEYS = ['terminal', 'ts', 'status', 'latE6', 'lonE6', 'alarm', 'odometer', 'speed', 'direction', 'latest'] as const;

/** Where two byte strings first differ, for a readable failure. */
function firstDiff(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `lengths ${a.length}/${b.length}, first difference at byte ${i}`;
}

function sameColumns(t: Test, now: PositionColumns, old: PositionColumns, name: string): void {
  t.same(now.terminals, old.terminals, `${name}: terminals`);
  const ab = now.ts.buffer;
  t.equal(ab.byteLength, old.ts.buffer.byteLength, `${name}: columns buffer size`);
  for (const k of COLUMN_KEYS) {
    t.equal(now[k].buffer, ab, `${name}: ${k} shares the one transferred buffer`);
    t.equal(now[k].byteOffset, old[k].byteOffset, `${name}: ${k} offset`);
  }
  const a = new Uint8Array(ab);
  const b = new Uint8Array(old.ts.buffer);
  t.ok(Buffer.from(a).equals(Buffer.from(b)), `${name}: columns bytes (${firstDiff(a, b)})`);
}

/** Runs both paths on `records` and compares everything they return. */
async function same(t: Test, name: string, records: readonly SpooledRecord[], c: EncodeContext = ctx): Promise<DecodedRead> {
  const old = await decodeReadRows(records, c);
  const now = await decodeReadRowBinary(records, c);
  const [a, b] = [now.positions.body, old.positions.body];
  t.ok(Buffer.from(a).equals(Buffer.from(b)), `${name}: body (${firstDiff(a, b)})`);
  t.equal(a.buffer.byteLength, a.length, `${name}: the body owns its ArrayBuffer`);
  t.same(
    [now.positions.rows, now.positions.rejected, now.positions.minRecvTs],
    [old.positions.rows, old.positions.rejected, old.positions.minRecvTs],
    `${name}: rows, rejected, minRecvTs`,
  );
  sameColumns(t, now.positions.columns, old.positions.columns, name);
  t.same(now.positions.marks, old.positions.marks, `${name}: late marks`);
  t.same(now.terminals, old.terminals, `${name}: registrations`);
  t.same(now.stats, old.stats, `${name}: stats`);
  t.same(now.ignition, [], `${name}: no ignition (main thread)`);
  const sizes = (d: DecodedRead): number[] => transferables(d).map((b) => b.byteLength);
  t.same(sizes(now), sizes(old), `${name}: transferred buffers`);
  return old;
}

// ---------------------------------------------------------------------------------------------------
// Seeded random records.

type Rnd = () => number;

const int = (r: Rnd, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rnd, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const bytes = (r: Rnd, n: number): number[] => Array.from({ length: n }, () => int(r, 0, 255));

/** Phones: a fleet of plain ones plus every edge of the canonical id and its check. */
const EDGE_PHONES = [
  '000000000000', // canonical '0' …
  '00000000000000000000', // … the same terminal in 2019 form
  '013800138000',
  '00000000013800138000', // the same terminal as the line above
  '98765432109876543210', // past 2^53: the string way
  '99999999999999999999',
  '0000000000000000123A', // a hex letter: kept whole, lower case …
  '0000000000000000123a', // … so this is the same terminal
  'ABCDEF012345',
  '0138-0013800', // not BCD, but a valid id
  'x'.repeat(33), // too long an id: rejected
  '', // empty: rejected
  '0138 0013800', // a space: rejected
  '\u00e9\u00c0', // latin1 letters: rejected
  '7',
];

function phoneOf(r: Rnd): string {
  if (r() < 0.1) return pick(r, EDGE_PHONES);
  const n = String(13_800_000_000 + int(r, 0, 299));
  return r() < 0.5 ? n.padStart(12, '0') : n.padStart(20, '0');
}

/** One extra item (id, len, value) from the standard's table, with odd lengths, duplicates and vendor ids. */
function item(r: Rnd): number[] {
  const typed: [number, number][] = [
    [0x01, 4], [0x02, 2], [0x30, 1], [0x31, 1], [0x01, 2], [0x30, 2], [0x31, 0], [0x03, 2], [0x04, 2], [0x05, 30],
    [0x05, 3], [0x06, 2], [0x06, 1], [0x11, 1], [0x11, 5], [0x11, 3], [0x12, 6], [0x13, 7], [0x14, 4], [0x15, 4],
    [0x16, 4], [0x17, 2], [0x25, 4], [0x2a, 2], [0x2b, 4], [0x2b, 2],
  ];
  const x = r();
  if (x < 0.6) {
    const [id, len] = pick(r, typed);
    if (id === 0x06 && len === 2 && r() < 0.5) return [id, len, pick(r, [0x80, 0x00, 0xff]), 0x00]; // 0x8000 "minus zero"
    return [id, len, ...bytes(r, len)];
  }
  if (x < 0.95) {
    const len = int(r, 0, 24);
    return [int(r, 0x32, 0xff), len, ...bytes(r, len)];
  }
  return [0xeb, 255, ...bytes(r, 255)]; // a big vendor nest: the extras length takes two bytes
}

/** Items: mostly ascending ids (the standard's order), sometimes any order; sometimes a truncated tail. */
function extras(r: Rnd, most = 8): number[] {
  const items = Array.from({ length: int(r, 0, most) }, () => item(r));
  if (r() < 0.7) items.sort((a, b) => a[0] - b[0]);
  const out = items.flat();
  const tail = r();
  if (tail < 0.05) out.push(int(r, 0, 255)); // a lone id byte
  else if (tail < 0.1) out.push(int(r, 0, 255), 40, ...bytes(r, int(r, 0, 39))); // declared length past the end
  return out;
}

/** The 6 time bytes: valid (in the given zone), or zero, impossible, non-BCD, or far edges. */
function timeBytes(r: Rnd, ms: number, utcOffsetMinutes: number): number[] {
  const x = r();
  const b = Buffer.alloc(6);
  if (x < 0.9) writeBcdTime(b, 0, ms, utcOffsetMinutes);
  else if (x < 0.93) return [0, 0, 0, 0, 0, 0]; // no fix: not stored
  else if (x < 0.95) return [0x26, 0x13, 0x01, 0, 0, 0]; // month 13
  else if (x < 0.96) return [0x26, 0x02, 0x30, 0, 0, 0]; // 30 February
  else if (x < 0.97) return [0x26, 0x1a, 0x01, 0, 0, 0]; // not BCD: the body fails
  else if (x < 0.98) return [0x00, 0x01, 0x01, 0, 0, 0]; // 2000-01-01 local: before MIN_TS in UTC
  else if (x < 0.99) return [0x99, 0x12, 0x31, 0x23, 0x59, 0x59]; // 2099: receive delay past Int32
  else writeBcdTime(b, 0, ms + int(r, 2, 30) * DAY_S * 1000, utcOffsetMinutes); // clock ahead
  return [...b];
}

/** A 0x0200 body: basic part with edge coordinates, then random extras. */
function locationBody(r: Rnd, ms: number, utcOffsetMinutes: number, most = 8): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(r() < 0.9 ? 0 : int(r, 0, 0xffffffff), 0);
  b.writeUInt32BE(r() < 0.7 ? 0x000c0002 | int(r, 0, 1) | (int(r, 0, 3) << 2) : int(r, 0, 0xffffffff), 4);
  const x = r();
  const lat = x < 0.8 ? int(r, 0, 90_000_000) : x < 0.85 ? 0 : x < 0.9 ? 90_000_000 : x < 0.95 ? 90_000_001 : int(r, 0, 0xffffffff);
  const y = r();
  const lon = y < 0.8 ? int(r, 0, 180_000_000) : y < 0.85 ? 0 : y < 0.9 ? 180_000_000 : y < 0.95 ? 180_000_001 : int(r, 0, 0xffffffff);
  b.writeUInt32BE(lat, 8);
  b.writeUInt32BE(lon, 12);
  b.writeUInt16BE(int(r, 0, 0xffff), 16);
  b.writeUInt16BE(int(r, 0, 0xffff), 18);
  b.writeUInt16BE(int(r, 0, 0xffff), 20);
  b.set(timeBytes(r, ms, utcOffsetMinutes), 22);
  return Buffer.concat([b, Buffer.from(extras(r, most))]);
}

function batchBody(r: Rnd, ms: number, utcOffsetMinutes: number): Buffer {
  const items = Array.from({ length: int(r, 1, 5) }, () => locationBody(r, ms - int(r, 0, 3) * DAY_S * 1000, utcOffsetMinutes, 4));
  const parts: Buffer[] = [Buffer.from([0, items.length, r() < 0.5 ? 1 : 0])];
  for (const it of items) parts.push(Buffer.from([it.length >> 8, it.length & 0xff]), it);
  const body = Buffer.concat(parts);
  const x = r();
  if (x < 0.05) body[1]++; // count disagrees with the items: the batch fails
  if (x > 0.95) return body.subarray(0, body.length - 3); // last item cut: fails
  return body;
}

function randomRecord(r: Rnd): SpooledRecord {
  const phone = phoneOf(r);
  const utcOffsetMinutes = r() < 0.8 ? 480 : pick(r, [0, -300, 345, -720, 840, 480]);
  const ms = T0 + int(r, -4 * DAY_S, DAY_S) * 1000;
  const s = r();
  const stampMs = s < 0.96 ? ms + int(r, 0, 5000) + (r() < 0.1 ? 0.5 : 0) : s < 0.98 ? 5e12 : s < 0.99 ? -5000 : 0;
  const o = { stampMs, utcOffsetMinutes, layout: phone.length === 20 ? ('2019' as const) : ('2013' as const) };
  const kind = r();
  if (kind < 0.7) return record(0x0200, locationBody(r, ms, utcOffsetMinutes), phone, o);
  if (kind < 0.72) return record(0x0200, locationBody(r, ms, utcOffsetMinutes).subarray(0, int(r, 0, 27)), phone, o); // short: fails
  if (kind < 0.74) return record(0x0200, locationBody(r, ms, utcOffsetMinutes), phone, { ...o, flags: FLAG_FRAGMENT }); // skipped
  if (kind < 0.82) return record(0x0704, batchBody(r, ms, utcOffsetMinutes), phone, o);
  if (kind < 0.86) {
    const body = Buffer.concat([Buffer.from([0, 9]), locationBody(r, ms, utcOffsetMinutes)]);
    return record(0x0201, r() < 0.1 ? body.subarray(0, int(r, 0, 29)) : body, phone, o);
  }
  if (kind < 0.9) {
    const body = Buffer.concat([Buffer.from(bytes(r, 8)), locationBody(r, ms, utcOffsetMinutes, 0), Buffer.from(bytes(r, int(r, 0, 20)))]);
    return record(0x0801, r() < 0.15 ? body.subarray(0, int(r, 0, 35)) : body, phone, o); // short = 2011 layout: no location
  }
  if (kind < 0.92) {
    const reg = { province: 50, city: int(r, 0, 9999), makerId: 'MK001', model: 'M-' + int(r, 0, 99), terminalId: 'T' + int(r, 0, 999), plateColor: 1, plate: '渝A' + int(r, 10000, 99999) };
    return record(0x0100, encode0100(reg, o.layout), phone, o);
  }
  if (kind < 0.95) return record(0x0002, Buffer.alloc(0), phone, o);
  if (kind < 0.97) return { stampMs, data: Buffer.from(bytes(r, int(r, 0, 12))) }; // garbage
  const good = record(0x0200, locationBody(r, ms, utcOffsetMinutes), phone, o);
  good.data[9] = 250; // phone length past the end: not a record
  return good;
}

function randomRecords(seed: number, n: number): SpooledRecord[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => randomRecord(r));
}

// ---------------------------------------------------------------------------------------------------

t.test('JT808 vectors: location, batch, query answer, media and registration frames', async (t) => {
  const ids = new Set([0x0200, 0x0704, 0x0201, 0x0801, 0x0100]);
  const records: SpooledRecord[] = [];
  for (const v of loadVectors()) {
    if (v.hex === null) {
      if (v.msgId === '0x0200' && v.bodyHex) records.push(record(0x0200, hexToBuffer(v.bodyHex), v.phone ?? '013800138000'));
      continue;
    }
    const frame = unescapeFrame(hexToBuffer(v.hex));
    if (!frame.ok) continue;
    const p = decodePacket(frame.frame);
    if (!p.ok || !ids.has(p.value.header.msgId)) continue;
    const h = p.value.header;
    // Received now (vector times are years old): late rows and a receive delay within Int32 for most.
    records.push(record(h.msgId, p.value.body, h.phoneBcd, { layout: h.layout, flags: h.subpackage ? FLAG_FRAGMENT : 1 }));
  }
  t.ok(records.length >= 20, `${records.length} vector records`);
  const old = await same(t, 'vectors', records, { ...ctx, todayStart: T0 / 1000 });
  t.ok(old.positions.rows > 10, `${old.positions.rows} rows stored`);
  // One by one as well: each vector alone is its own read.
  for (let i = 0; i < records.length; i++) await same(t, `vector record ${i}`, [records[i]]);
});

t.test('simulator fleets, in spool order', async (t) => {
  const big = fleetRecords({ terminals: 1000, records: 20_000 });
  const old = await same(t, '1000 terminals', big, { ...ctx, todayStart: Date.UTC(2026, 10, 20, 12) / 1000 });
  t.equal(old.positions.rows, big.length, 'every simulated report is stored');
  t.ok(old.positions.marks.length > 0, 'some rows are late');
  await same(t, '10 terminals (long runs per terminal)', fleetRecords({ terminals: 10, records: 3000, seed: 2 }));
  await same(t, 'one record', big.slice(0, 1));
  await same(t, 'no records', []);
});

t.test('random records: every edge (seeded)', async (t) => {
  for (const seed of [1, 2, 3, 4]) {
    const records = randomRecords(seed, 3000);
    const old = await same(t, `seed ${seed}`, records);
    t.ok(old.positions.rejected > 0 && old.stats.failed > 0 && old.stats.skipped > 0 && old.positions.marks.length > 0, `seed ${seed} meets rejects, failures, skips and marks`);
  }
  // The same records with the fleet's reports mixed in, read in other zones and against other days.
  const mixed = [...randomRecords(9, 2000), ...fleetRecords({ terminals: 300, records: 2000, seed: 3 })];
  mixed.sort((a, b) => (a.data.length * 7919 + a.data[a.data.length - 1]) % 13 - (b.data.length * 7919 + b.data[b.data.length - 1]) % 13);
  for (const timezone of ['Asia/Shanghai', 'UTC', 'America/New_York']) {
    for (const todayStart of [0, T0 / 1000 - 2 * DAY_S, 2 ** 32]) await same(t, `mixed, ${timezone}, today ${todayStart}`, mixed, { ...ctx, timezone, todayStart });
  }
});

t.test('a body past the scratch grows it; interleaved reads each keep their own state', async (t) => {
  const r = mulberry32(77);
  // Odd records: 133 bytes of items of which the row keeps 117, so the extras length shrinks to one byte.
  const common = [0x01, 4, 0, 1, 2, 3, 0x02, 2, 0, 9, 0x30, 1, 20, 0x31, 1, 9];
  const wide = Array.from({ length: 6000 }, (_, i) => {
    const items = i % 2 === 0 ? [0xeb, 250, ...bytes(r, 250)] : [...common, 0xeb, 115, ...bytes(r, 115)];
    const body = Buffer.alloc(28 + items.length);
    writeBcdTime(body, 22, T0 - i * 1000, 480);
    body.set(items, 28);
    return record(0x0200, body, phoneOf(r));
  });
  const old = await same(t, 'wide', wide);
  t.ok(old.positions.body.length > 1 << 20, 'more than the 1 MiB scratch');
  const a = randomRecords(5, 2500);
  const b = fleetRecords({ terminals: 100, records: 2500, seed: 5 });
  const [na, nb] = await Promise.all([decodeReadRowBinary(a, ctx), decodeReadRowBinary(b, ctx)]);
  const [oa, ob] = [await decodeReadRows(a, ctx), await decodeReadRows(b, ctx)];
  t.ok(Buffer.from(na.positions.body).equals(Buffer.from(oa.positions.body)), 'interleaved read a');
  t.ok(Buffer.from(nb.positions.body).equals(Buffer.from(ob.positions.body)), 'interleaved read b');
  sameColumns(t, na.positions.columns, oa.positions.columns, 'interleaved read a');
  sameColumns(t, nb.positions.columns, ob.positions.columns, 'interleaved read b');
});

t.test('decodeRead takes the RowBinary path for RowBinary only; the worker gives the same read', async (t) => {
  const records = randomRecords(11, 1500);
  const rowBinary = await decodeRead(records, ctx);
  const direct = await decodeReadRowBinary(records, ctx);
  t.ok(Buffer.from(rowBinary.positions.body).equals(Buffer.from(direct.positions.body)));
  const json = { ...ctx, format: 'JSONCompactEachRow' as const, extrasColumn: 'extras_hex' as const };
  t.ok(Buffer.from((await decodeRead(records, json)).positions.body).equals(Buffer.from((await decodeReadRows(records, json)).positions.body)), 'text formats keep the object path');
  const pool = createDecoder(1);
  t.teardown(() => pool.close());
  const viaWorker = await pool.decode(records, ctx);
  t.ok(Buffer.from(viaWorker.positions.body).equals(Buffer.from(direct.positions.body)), 'worker: body');
  t.same(viaWorker.positions.marks, direct.positions.marks, 'worker: marks');
  t.same([...viaWorker.positions.columns.ts], [...direct.positions.columns.ts], 'worker: columns');
  t.same(viaWorker.stats, direct.stats, 'worker: stats');
});
