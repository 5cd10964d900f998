/**
 * 0x0200 extra items (SPEC §7.9.3): TLV `BYTE id, BYTE len, value[len]` after the 28-byte basic part.
 *
 * Rules from the SPEC and the vectors:
 * - always advance by the length byte, so one odd item never shifts the rest;
 * - dispatch on (id, length): vendors reuse ids (0x05 len 40, 0x06 len 1, 0x14-0x18), so an item whose
 *   length is not the standard one is kept raw, never half-read;
 * - the first well-formed occurrence of a standard id becomes a typed field; duplicates are kept raw
 *   (SPEC §7.9.3: "keep a list, not a map");
 * - a last item whose declared length runs past the end is recorded as `truncatedExtra`, not read.
 *
 * Hot path (every stored position): no closures, no strings, direct index math. Raw values are views
 * of the body (zero-copy): valid as long as the body is.
 *
 * The way back (`extraItemsHex`) writes items in ascending id order, typed before raw on equal ids:
 * the order of the standard's table, which nearly every terminal follows. For a body in another order
 * the decoder records the wire order (`extraOrder`, rare) and the way back follows it, so re-encoding a
 * decoded location always gives its bytes back.
 */
import { u16, u32 } from '../bytes.js';
import type { Location } from './location.js';

export const EXTRA_MILEAGE = 0x01;
export const EXTRA_FUEL = 0x02;
export const EXTRA_RECORDER_SPEED = 0x03;
export const EXTRA_ALARM_EVENT_ID = 0x04;
export const EXTRA_TIRE_PRESSURE = 0x05;
export const EXTRA_CARRIAGE_TEMP = 0x06;
export const EXTRA_OVERSPEED = 0x11;
export const EXTRA_AREA_ALARM = 0x12;
export const EXTRA_ROUTE_TIME = 0x13;
export const EXTRA_VIDEO_ALARM = 0x14;
export const EXTRA_VIDEO_SIGNAL_LOSS = 0x15;
export const EXTRA_VIDEO_OCCLUSION = 0x16;
export const EXTRA_VIDEO_STORAGE_FAULT = 0x17;
export const EXTRA_EXT_SIGNALS = 0x25;
export const EXTRA_IO_STATUS = 0x2a;
export const EXTRA_ANALOG = 0x2b;
export const EXTRA_RSSI = 0x30;
export const EXTRA_SATELLITES = 0x31;

/** An extra item kept as received: unknown id, standard id with an unexpected length, vendor item, duplicate. */
export interface ExtraItem {
  id: number;
  len: number;
  /** The value bytes (without id and length): a view of the body. */
  raw: Buffer;
}

/** A last item whose declared length passes the end of the body. */
export interface TruncatedExtra {
  id: number;
  /** Offset of its id byte in the decoded body. */
  offset: number;
  /** The bytes from its id byte to the end of the body, as received (a view). */
  raw: Buffer;
}

/**
 * Reads the extra items of `buf[start, end)` into `loc` (typed fields, `extras`, `truncatedExtra`,
 * and `extraOrder` when the items are not in ascending id order). Never reads past `end`.
 * `loc.extras` must be an empty array owned by `loc`.
 */
export function readExtraItems(buf: Buffer, start: number, end: number, loc: Location): void {
  let p = start;
  // Sort key of the order extraItemsHex writes: id, typed before raw. One compare per item; the wire
  // order is recorded only when a key goes down (rare), so the way back reproduces the bytes.
  let prevKey = 0;
  let ordered = true;
  while (p < end) {
    const id = buf[p];
    if (p + 2 > end || p + 2 + buf[p + 1] > end) {
      // SPEC §7.9.3 / SmallChi Test8: declared length past the end. Keep the location, do not over-read.
      loc.truncatedExtra = { id, offset: p, raw: buf.subarray(p, end) };
      break;
    }
    const len = buf[p + 1];
    const v = p + 2;
    let key = id * 2;
    // The four items nearly every terminal sends, tested inline before the full switch (bench/decode.ts);
    // the length tests mirror isStandardItem.
    if (id === EXTRA_MILEAGE && len === 4 && loc.mileageRaw === undefined) {
      loc.mileageRaw = u32(buf, v);
      loc.mileageKm = loc.mileageRaw / 10;
    } else if (id === EXTRA_FUEL && len === 2 && loc.fuelRaw === undefined) {
      loc.fuelRaw = u16(buf, v);
      loc.fuelL = loc.fuelRaw / 10;
    } else if (id === EXTRA_RSSI && len === 1 && loc.rssi === undefined) {
      loc.rssi = buf[v];
    } else if (id === EXTRA_SATELLITES && len === 1 && loc.satellites === undefined) {
      loc.satellites = buf[v];
    } else if (!readTyped(buf, id, len, v, loc)) {
      loc.extras.push({ id, len, raw: buf.subarray(v, v + len) });
      key++;
    }
    if (key < prevKey) ordered = false;
    prevKey = key;
    p = v + len;
  }
  if (!ordered) loc.extraOrder = wireOrder(buf, start, end);
}

/**
 * Whether (id, len) is a standard item with a typed field (SPEC §7.9.3). Anything else is kept raw.
 * readTyped and the fast path of readExtraItems apply exactly this rule.
 */
export function isStandardItem(id: number, len: number): boolean {
  switch (id) {
    case EXTRA_MILEAGE:
    case EXTRA_VIDEO_ALARM:
    case EXTRA_VIDEO_SIGNAL_LOSS:
    case EXTRA_VIDEO_OCCLUSION:
    case EXTRA_EXT_SIGNALS:
    case EXTRA_ANALOG:
      return len === 4;
    case EXTRA_FUEL:
    case EXTRA_RECORDER_SPEED:
    case EXTRA_ALARM_EVENT_ID:
    case EXTRA_CARRIAGE_TEMP:
    case EXTRA_VIDEO_STORAGE_FAULT:
    case EXTRA_IO_STATUS:
      return len === 2;
    case EXTRA_TIRE_PRESSURE:
      return len === 30;
    case EXTRA_OVERSPEED:
      return len === 1 || len === 5;
    case EXTRA_AREA_ALARM:
      return len === 6;
    case EXTRA_ROUTE_TIME:
      return len === 7;
    case EXTRA_RSSI:
    case EXTRA_SATELLITES:
      return len === 1;
    default:
      return false;
  }
}

/** Marks a raw item in `extraOrder`. */
export const RAW_ITEM = 0x100;

/** The wire order of the complete items: `id` for a typed item, `RAW_ITEM | id` for a raw one. Rare path. */
function wireOrder(buf: Buffer, start: number, end: number): number[] {
  const order: number[] = [];
  const seen = new Uint8Array(64); // typed ids are all below 0x40
  for (let p = start; p + 2 <= end && p + 2 + buf[p + 1] <= end; p += 2 + buf[p + 1]) {
    const id = buf[p];
    const typed = isStandardItem(id, buf[p + 1]) && seen[id] === 0;
    if (typed) seen[id] = 1;
    order.push(typed ? id : RAW_ITEM | id);
  }
  return order;
}

/** Stores a standard item in its typed field; false when (id, len) is not standard or already seen. */
function readTyped(b: Buffer, id: number, len: number, v: number, loc: Location): boolean {
  if (!isStandardItem(id, len)) return false;
  switch (id) {
    case EXTRA_MILEAGE:
      if (loc.mileageRaw !== undefined) return false;
      loc.mileageRaw = u32(b, v);
      loc.mileageKm = loc.mileageRaw / 10;
      return true;
    case EXTRA_FUEL:
      if (loc.fuelRaw !== undefined) return false;
      loc.fuelRaw = u16(b, v);
      loc.fuelL = loc.fuelRaw / 10;
      return true;
    case EXTRA_RECORDER_SPEED:
      if (loc.recorderSpeedKmh !== undefined) return false;
      loc.recorderSpeedKmh = u16(b, v) / 10;
      return true;
    case EXTRA_ALARM_EVENT_ID:
      if (loc.alarmEventId !== undefined) return false;
      loc.alarmEventId = u16(b, v);
      return true;
    case EXTRA_TIRE_PRESSURE:
      // 2019 BYTE[30], one byte per wheel; kept as bytes (SmallChi/JT808#10). Vendors send len 3 or 40.
      if (loc.tirePressure !== undefined) return false;
      loc.tirePressure = b.subarray(v, v + 30);
      return true;
    case EXTRA_CARRIAGE_TEMP:
      if (loc.carriageTempC !== undefined) return false;
      loc.carriageTempC = signMagnitude16(u16(b, v));
      return true;
    case EXTRA_OVERSPEED:
      if (loc.overspeed !== undefined) return false;
      // Area id is bytes 1..4 after the type byte (standard; go-jt808 reads 0..3, SPEC §11).
      loc.overspeed = len === 5 ? { locationType: b[v], areaId: u32(b, v + 1) } : { locationType: b[v] };
      return true;
    case EXTRA_AREA_ALARM:
      if (loc.areaAlarm !== undefined) return false;
      loc.areaAlarm = { locationType: b[v], areaId: u32(b, v + 1), direction: b[v + 5] };
      return true;
    case EXTRA_ROUTE_TIME:
      if (loc.routeTime !== undefined) return false;
      loc.routeTime = { sectionId: u32(b, v), seconds: u16(b, v + 4), result: b[v + 6] };
      return true;
    case EXTRA_VIDEO_ALARM:
      if (loc.videoAlarm !== undefined) return false;
      loc.videoAlarm = u32(b, v);
      return true;
    case EXTRA_VIDEO_SIGNAL_LOSS:
      if (loc.videoSignalLoss !== undefined) return false;
      loc.videoSignalLoss = u32(b, v);
      return true;
    case EXTRA_VIDEO_OCCLUSION:
      if (loc.videoOcclusion !== undefined) return false;
      loc.videoOcclusion = u32(b, v);
      return true;
    case EXTRA_VIDEO_STORAGE_FAULT:
      if (loc.videoStorageFault !== undefined) return false;
      loc.videoStorageFault = u16(b, v);
      return true;
    case EXTRA_EXT_SIGNALS:
      if (loc.extSignals !== undefined) return false;
      loc.extSignals = u32(b, v);
      return true;
    case EXTRA_IO_STATUS:
      if (loc.ioStatus !== undefined) return false;
      loc.ioStatus = u16(b, v);
      return true;
    case EXTRA_ANALOG:
      // Bits 0-15 = AD0, bits 16-31 = AD1: the first WORD on the wire is AD1.
      if (loc.analog !== undefined) return false;
      loc.analog = { ad0: u16(b, v + 2), ad1: u16(b, v) };
      return true;
    case EXTRA_RSSI:
      if (loc.rssi !== undefined) return false;
      loc.rssi = b[v];
      return true;
    case EXTRA_SATELLITES:
      if (loc.satellites !== undefined) return false;
      loc.satellites = b[v];
      return true;
    default:
      return false;
  }
}

/**
 * 0x06 carriage temperature: the 2019 text says "highest bit 1 = negative", range ±32767, i.e.
 * sign-magnitude. EMQX reads two's complement and go-jt808 unsigned (SPEC §11); we follow the text.
 * 0x8000 ("minus zero") reads as -0: 0 °C to any arithmetic or JSON, and written back as 0x8000, so the
 * stored extras keep the wire bytes.
 */
export function signMagnitude16(word: number): number {
  const m = word & 0x7fff;
  return (word & 0x8000) !== 0 ? -m : m;
}

/** Inverse of `signMagnitude16` for |value| ≤ 32767 (-0 → 0x8000). */
export function toSignMagnitude16(value: number): number {
  return value < 0 || Object.is(value, -0) ? 0x8000 | -value : value;
}

// ---------------------------------------------------------------------------------------------------
// The way back: items → hex, shared by encode0200 (which turns it into bytes) and the position row
// (which stores the items it has no column for). Hot for the row: fixed-arity String.fromCharCode per
// item instead of Buffer#toString('hex'), which costs ≈90 ns per call through C++ (bench/decode.ts).

export interface Overspeed {
  /** 0 none, 1 circle, 2 rectangle, 3 polygon, 4 road section. */
  locationType: number;
  /** Present when the item has 5 bytes (location type ≠ 0). */
  areaId?: number;
}

export interface AreaAlarm {
  locationType: number;
  areaId: number;
  /** 0 in, 1 out. */
  direction: number;
}

export interface RouteTime {
  sectionId: number;
  seconds: number;
  /** 0 too short, 1 too long. */
  result: number;
}

/** The typed items of a location report (ids 0x03–0x31), one field each; the same on decode and encode. */
export interface TypedExtraItems<Bytes extends Uint8Array = Uint8Array> {
  /** 0x03 tachograph speed. */
  recorderSpeedKmh?: number;
  /** 0x04 id of an alarm event needing manual confirmation. */
  alarmEventId?: number;
  /** 0x05 (2019) tire pressure, BYTE[30] view. */
  tirePressure?: Bytes;
  /** 0x06 (2019) carriage temperature °C, sign-magnitude per the standard (EMQX/go-jt808 differ). */
  carriageTempC?: number;
  /** 0x11 overspeed alarm detail. */
  overspeed?: Overspeed;
  /** 0x12 area/route in-out alarm detail. */
  areaAlarm?: AreaAlarm;
  /** 0x13 road-section driving time alarm detail. */
  routeTime?: RouteTime;
  /** JT/T 1078 0x14 video alarm bits (DWORD). */
  videoAlarm?: number;
  /** JT/T 1078 0x15 video-signal-loss channels (DWORD). */
  videoSignalLoss?: number;
  /** JT/T 1078 0x16 video-occlusion channels (DWORD). */
  videoOcclusion?: number;
  /** JT/T 1078 0x17 storage fault bits (WORD). */
  videoStorageFault?: number;
  /** 0x25 extended vehicle signal bits. */
  extSignals?: number;
  /** 0x2A IO status bits. */
  ioStatus?: number;
  /** 0x2B analog inputs. */
  analog?: { ad0: number; ad1: number };
  /** 0x30 wireless signal strength. */
  rssi?: number;
  /** 0x31 GNSS satellites in use. */
  satellites?: number;
}

/** The typed fields and raw lists `extraItemsHex` writes: a Location, or an encoder's normalised input. */
export interface ExtraFields extends TypedExtraItems {
  mileageRaw?: number;
  fuelRaw?: number;
  extras?: readonly { id: number; raw: Uint8Array }[];
  /** Wire order recorded by the decoder (see Location.extraOrder). */
  extraOrder?: readonly number[];
  truncatedExtra?: { raw: Uint8Array };
}

const HEX_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

/** `id 01 v` as 6 hex digits. */
function item8(id: number, v: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(h[id >> 4], h[id & 15], 48, 49, h[(v >> 4) & 15], h[v & 15]);
}

/** `id 02 vvvv` as 8 hex digits. */
function item16(id: number, v: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(h[id >> 4], h[id & 15], 48, 50, h[(v >> 12) & 15], h[(v >> 8) & 15], h[(v >> 4) & 15], h[v & 15]);
}

/** `id 04 vvvvvvvv` as 12 hex digits. */
function item32(id: number, v: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(
    h[id >> 4], h[id & 15], 48, 52,
    h[(v >>> 28) & 15], h[(v >> 24) & 15], h[(v >> 20) & 15], h[(v >> 16) & 15], h[(v >> 12) & 15], h[(v >> 8) & 15], h[(v >> 4) & 15], h[v & 15],
  );
}

function hex8(v: number): string {
  return String.fromCharCode(HEX_CODES[(v >> 4) & 15], HEX_CODES[v & 15]);
}

function hex16(v: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(h[(v >> 12) & 15], h[(v >> 8) & 15], h[(v >> 4) & 15], h[v & 15]);
}

function hex32(v: number): string {
  return hex16(v >>> 16) + hex16(v & 0xffff);
}

function rawItemHex(id: number, raw: Uint8Array): string {
  return hex8(id) + hex8(raw.length) + Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('hex');
}

/** Hex of the typed item `id` of `x` (id, length, value); '' when `x` has no such field. */
function typedItemHex(x: ExtraFields, id: number): string {
  switch (id) {
    case EXTRA_MILEAGE: return x.mileageRaw === undefined ? '' : item32(id, x.mileageRaw);
    case EXTRA_FUEL: return x.fuelRaw === undefined ? '' : item16(id, x.fuelRaw);
    case EXTRA_RECORDER_SPEED: return x.recorderSpeedKmh === undefined ? '' : item16(id, Math.round(x.recorderSpeedKmh * 10));
    case EXTRA_ALARM_EVENT_ID: return x.alarmEventId === undefined ? '' : item16(id, x.alarmEventId);
    case EXTRA_TIRE_PRESSURE: return x.tirePressure === undefined ? '' : rawItemHex(id, x.tirePressure);
    case EXTRA_CARRIAGE_TEMP: return x.carriageTempC === undefined ? '' : item16(id, toSignMagnitude16(x.carriageTempC));
    case EXTRA_OVERSPEED: {
      const o = x.overspeed;
      if (o === undefined) return '';
      return o.areaId === undefined ? item8(id, o.locationType) : `1105${hex8(o.locationType)}${hex32(o.areaId)}`;
    }
    case EXTRA_AREA_ALARM: {
      const a = x.areaAlarm;
      return a === undefined ? '' : `1206${hex8(a.locationType)}${hex32(a.areaId)}${hex8(a.direction)}`;
    }
    case EXTRA_ROUTE_TIME: {
      const r = x.routeTime;
      return r === undefined ? '' : `1307${hex32(r.sectionId)}${hex16(r.seconds)}${hex8(r.result)}`;
    }
    case EXTRA_VIDEO_ALARM: return x.videoAlarm === undefined ? '' : item32(id, x.videoAlarm);
    case EXTRA_VIDEO_SIGNAL_LOSS: return x.videoSignalLoss === undefined ? '' : item32(id, x.videoSignalLoss);
    case EXTRA_VIDEO_OCCLUSION: return x.videoOcclusion === undefined ? '' : item32(id, x.videoOcclusion);
    case EXTRA_VIDEO_STORAGE_FAULT: return x.videoStorageFault === undefined ? '' : item16(id, x.videoStorageFault);
    case EXTRA_EXT_SIGNALS: return x.extSignals === undefined ? '' : item32(id, x.extSignals);
    case EXTRA_IO_STATUS: return x.ioStatus === undefined ? '' : item16(id, x.ioStatus);
    case EXTRA_ANALOG: return x.analog === undefined ? '' : item32(id, ((x.analog.ad1 << 16) | x.analog.ad0) >>> 0);
    case EXTRA_RSSI: return x.rssi === undefined ? '' : item8(id, x.rssi);
    case EXTRA_SATELLITES: return x.satellites === undefined ? '' : item8(id, x.satellites);
    default: return '';
  }
}

/** Every typed id, ascending. */
const TYPED_IDS = [
  EXTRA_MILEAGE, EXTRA_FUEL, EXTRA_RECORDER_SPEED, EXTRA_ALARM_EVENT_ID, EXTRA_TIRE_PRESSURE, EXTRA_CARRIAGE_TEMP,
  EXTRA_OVERSPEED, EXTRA_AREA_ALARM, EXTRA_ROUTE_TIME, EXTRA_VIDEO_ALARM, EXTRA_VIDEO_SIGNAL_LOSS, EXTRA_VIDEO_OCCLUSION,
  EXTRA_VIDEO_STORAGE_FAULT, EXTRA_EXT_SIGNALS, EXTRA_IO_STATUS, EXTRA_ANALOG, EXTRA_RSSI, EXTRA_SATELLITES,
];

/** The items the position row keeps in columns. */
function isCommon(id: number): boolean {
  return id === EXTRA_MILEAGE || id === EXTRA_FUEL || id === EXTRA_RSSI || id === EXTRA_SATELLITES;
}

/** Typed items in ascending id order (straight-line presence tests: the row's hot path). */
function typedHex(x: ExtraFields, withCommon: boolean): string {
  let hex = '';
  if (withCommon && x.mileageRaw !== undefined) hex += typedItemHex(x, EXTRA_MILEAGE);
  if (withCommon && x.fuelRaw !== undefined) hex += typedItemHex(x, EXTRA_FUEL);
  if (x.recorderSpeedKmh !== undefined) hex += typedItemHex(x, EXTRA_RECORDER_SPEED);
  if (x.alarmEventId !== undefined) hex += typedItemHex(x, EXTRA_ALARM_EVENT_ID);
  if (x.tirePressure !== undefined) hex += typedItemHex(x, EXTRA_TIRE_PRESSURE);
  if (x.carriageTempC !== undefined) hex += typedItemHex(x, EXTRA_CARRIAGE_TEMP);
  if (x.overspeed !== undefined) hex += typedItemHex(x, EXTRA_OVERSPEED);
  if (x.areaAlarm !== undefined) hex += typedItemHex(x, EXTRA_AREA_ALARM);
  if (x.routeTime !== undefined) hex += typedItemHex(x, EXTRA_ROUTE_TIME);
  if (x.videoAlarm !== undefined) hex += typedItemHex(x, EXTRA_VIDEO_ALARM);
  if (x.videoSignalLoss !== undefined) hex += typedItemHex(x, EXTRA_VIDEO_SIGNAL_LOSS);
  if (x.videoOcclusion !== undefined) hex += typedItemHex(x, EXTRA_VIDEO_OCCLUSION);
  if (x.videoStorageFault !== undefined) hex += typedItemHex(x, EXTRA_VIDEO_STORAGE_FAULT);
  if (x.extSignals !== undefined) hex += typedItemHex(x, EXTRA_EXT_SIGNALS);
  if (x.ioStatus !== undefined) hex += typedItemHex(x, EXTRA_IO_STATUS);
  if (x.analog !== undefined) hex += typedItemHex(x, EXTRA_ANALOG);
  if (withCommon && x.rssi !== undefined) hex += typedItemHex(x, EXTRA_RSSI);
  if (withCommon && x.satellites !== undefined) hex += typedItemHex(x, EXTRA_SATELLITES);
  return hex;
}

const LAST_TYPED_ID = EXTRA_SATELLITES;

/** Raw items can simply follow the typed ones: ascending, and all above the last typed id. */
function rawFollowsTyped(raw: readonly { id: number }[]): boolean {
  let prev = LAST_TYPED_ID + 1;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i].id < prev) return false;
    prev = raw[i].id;
  }
  return true;
}

function byKey(a: { key: number }, b: { key: number }): number {
  return a.key - b.key;
}

/**
 * Typed and raw items merged by (id, typed first), stable for equal raw ids; typed ids marked in
 * `skip` are left out. Rare: allocates.
 */
function mergedHex(x: ExtraFields, raw: readonly { id: number; raw: Uint8Array }[], withCommon: boolean, skip: Uint8Array | null): string {
  const parts: { key: number; hex: string }[] = [];
  for (const id of TYPED_IDS) {
    if ((skip !== null && skip[id] !== 0) || (!withCommon && isCommon(id))) continue;
    const h = typedItemHex(x, id);
    if (h !== '') parts.push({ key: id * 2, hex: h });
  }
  for (const r of raw) parts.push({ key: r.id * 2 + 1, hex: rawItemHex(r.id, r.raw) });
  parts.sort(byKey); // Array#sort is stable
  let hex = '';
  for (const p of parts) hex += p.hex;
  return hex;
}

/**
 * Items in the recorded wire order (`extraOrder`), then anything the order does not cover (fields or
 * raw items added after decoding) in the merged order. Rare: allocates.
 */
function orderedHex(x: ExtraFields, order: readonly number[], raw: readonly { id: number; raw: Uint8Array }[], withCommon: boolean): string {
  let hex = '';
  let r = 0;
  const done = new Uint8Array(64); // typed ids are all below 0x40
  for (const e of order) {
    if ((e & RAW_ITEM) !== 0) {
      if (r < raw.length) hex += rawItemHex(raw[r].id, raw[r].raw);
      r++;
    } else if (e < 64 && done[e] === 0) {
      done[e] = 1;
      if (withCommon || !isCommon(e)) hex += typedItemHex(x, e);
    }
  }
  return hex + mergedHex(x, raw.slice(r), withCommon, done);
}

/**
 * Hex of the extra items of `x`, as they go on the wire: in `x.extraOrder` when the decoder recorded
 * one, otherwise typed items and raw `extras` merged by id (typed first on equal ids); then the
 * truncated tail verbatim. `withCommon` false leaves out the typed mileage, fuel, RSSI and satellites
 * (the position row stores those in columns). '' when there is nothing. Values are written as they
 * are: encode0200 range-checks them first.
 */
export function extraItemsHex(x: ExtraFields, withCommon: boolean): string {
  const raw = x.extras;
  let hex: string;
  if (x.extraOrder !== undefined) hex = orderedHex(x, x.extraOrder, raw ?? [], withCommon);
  else if (raw === undefined || raw.length === 0) hex = typedHex(x, withCommon);
  else if (rawFollowsTyped(raw)) {
    hex = typedHex(x, withCommon);
    for (let i = 0; i < raw.length; i++) hex += rawItemHex(raw[i].id, raw[i].raw);
  } else hex = mergedHex(x, raw, withCommon, null);
  const tail = x.truncatedExtra;
  if (tail !== undefined) hex += Buffer.from(tail.raw.buffer, tail.raw.byteOffset, tail.raw.length).toString('hex');
  return hex;
}
