/**
 * Location messages: 0x0200 location report (SPEC §7.9, status bits §7.9.1, extra items §7.9.3 in
 * extras.ts), 0x0201 position query response and 0x8201 query (§7.10), 0x8202 temporary tracking
 * (§7.11), 0x0704 batch / blind-area upload (§7.12).
 *
 * Decoders return views: `extras[].raw`, `tirePressure` and `truncatedExtra.raw` point into the body
 * and are valid as long as the body is (the splitter's frame: until its callback returns). Everything
 * else is plain values. Copy the views you keep.
 *
 * Hot path: decode0200 runs for every stored position (budget ≤ 0.5 µs with framing and the row,
 * measured by bench/decode.ts). Hence one object per location with a fixed shape, index math, no
 * closures, no strings, and no view of the extra-item region (≈55 ns each): typed items are re-encoded
 * from their values when needed (extras.ts `extraItemsHex`).
 */
import { u16, u32 } from '../bytes.js';
import { readBcdTime, writeBcdTime } from '../bcd.js';
import { fail, ok, type DecodeResult } from '../errors.js';
import { extraItemsHex, readExtraItems, type ExtraItem, type TruncatedExtra, type TypedExtraItems } from './extras.js';
import type { BodyOptions } from './options.js';

// Part of the codec's public types; they live with the item reader and writer.
export type { AreaAlarm, Overspeed, RouteTime, TypedExtraItems } from './extras.js';

export type { ExtraItem, TruncatedExtra } from './extras.js';
export { RAW_ITEM } from './extras.js';

/** Size of the basic part of a 0x0200 body (SPEC §7.9). */
export const LOCATION_BASIC_LENGTH = 28;

/** Status bits (SPEC §7.9.1) the codec interprets; the rest stay in `status`. */
export const STATUS_ACC = 1 << 0;
export const STATUS_POSITIONED = 1 << 1;
export const STATUS_SOUTH = 1 << 2;
export const STATUS_WEST = 1 << 3;

const MAX_LAT_E6 = 90_000_000;
const MAX_LON_E6 = 180_000_000;
/** Offset of the BCD time in a 0x0200 body. */
export const LOCATION_TIME_OFFSET = 22;

/** Raw latitude and longitude (unsigned DWORDs) within ±90° / ±180°: anything else is swapped or garbage (SPEC §10.8). */
export function coordinatesInRange(latRaw: number, lonRaw: number): boolean {
  return latRaw <= MAX_LAT_E6 && lonRaw <= MAX_LON_E6;
}

/**
 * A raw coordinate signed by its hemisphere bit in `status` (STATUS_SOUTH or STATUS_WEST; SPEC §7.9: DWORDs are
 * unsigned); `raw !== 0` avoids a -0.
 */
export function signedCoordinate(raw: number, status: number, hemisphereBit: number): number {
  return (status & hemisphereBit) !== 0 && raw !== 0 ? -raw : raw;
}

/**
 * A decoded 0x0200 body. Optional fields are the typed extra items (SPEC §7.9.3); an absent item is
 * `undefined` (the key exists so every Location has one shape: see bench/decode.ts).
 */
export interface Location extends TypedExtraItems<Buffer> {
  alarm: number;
  status: number;
  /** Status bit 0. */
  acc: boolean;
  /** Status bit 1. */
  positioned: boolean;
  /** Signed micro-degrees: the unsigned wire value, negated when status bit 2 (south) is set. */
  latE6: number;
  /** Signed micro-degrees: negated when status bit 3 (west) is set. */
  lonE6: number;
  /** Signed degrees (latE6 / 1e6). */
  lat: number;
  lon: number;
  /**
   * False when the wire latitude exceeds 90e6 or the longitude 180e6 (swapped samples, or a terminal
   * writing two's-complement negatives, SPEC §10.8). The values are kept as received.
   */
  coordinatesValid: boolean;
  /** Metres (WORD, unsigned per the standard). */
  altitudeM: number;
  /** 0.1 km/h as on the wire. */
  speedRaw: number;
  speedKmh: number;
  /** Degrees 0-359, 0 = north, clockwise. */
  direction: number;
  /** Device time, epoch ms UTC; null when the terminal sent a zero or impossible time (SPEC §5.1). */
  time: number | null;

  /** 0x01 odometer, 0.1 km. */
  mileageRaw?: number;
  mileageKm?: number;
  /** 0x02 fuel, 0.1 L. */
  fuelRaw?: number;
  fuelL?: number;

  /** Items kept raw, in wire order: unknown/vendor ids, unexpected lengths, duplicates, 0xEB nests. */
  extras: ExtraItem[];
  /**
   * Present only when the terminal did not write its items in ascending id order (rare): the wire
   * order, `id` for a typed item and `RAW_ITEM | id` (0x100) for a raw one, so that encode0200 and the
   * position row reproduce the received bytes.
   */
  extraOrder?: number[];
  /** A last item whose declared length passes the end of the body: not read, kept raw. */
  truncatedExtra?: TruncatedExtra;
}

/**
 * Decodes a 0x0200 body stored in `buf[start, end)`. Error offsets and `truncatedExtra.offset` are
 * offsets in `buf`, so 0x0201 and 0x0704 report positions in their own body.
 */
export function readLocation(buf: Buffer, start: number, end: number, utcOffsetMinutes: number): DecodeResult<Location> {
  if (end - start < LOCATION_BASIC_LENGTH) return fail('BODY_SHORT', end, `location needs ${LOCATION_BASIC_LENGTH} bytes, has ${end - start}`);
  const time = readBcdTime(buf, start + LOCATION_TIME_OFFSET, utcOffsetMinutes);
  if (time === -1) return fail('BAD_BCD', start + LOCATION_TIME_OFFSET, 'location time');
  const status = u32(buf, start + 4);
  const latRaw = u32(buf, start + 8);
  const lonRaw = u32(buf, start + 12);
  const latE6 = signedCoordinate(latRaw, status, STATUS_SOUTH);
  const lonE6 = signedCoordinate(lonRaw, status, STATUS_WEST);
  const speedRaw = u16(buf, start + 18);
  const extraStart = start + LOCATION_BASIC_LENGTH;
  const loc: Location = {
    alarm: u32(buf, start),
    status,
    acc: (status & STATUS_ACC) !== 0,
    positioned: (status & STATUS_POSITIONED) !== 0,
    latE6,
    lonE6,
    lat: latE6 / 1e6,
    lon: lonE6 / 1e6,
    coordinatesValid: coordinatesInRange(latRaw, lonRaw),
    altitudeM: u16(buf, start + 16),
    speedRaw,
    speedKmh: speedRaw / 10,
    direction: u16(buf, start + 20),
    time,
    mileageRaw: undefined,
    mileageKm: undefined,
    fuelRaw: undefined,
    fuelL: undefined,
    recorderSpeedKmh: undefined,
    alarmEventId: undefined,
    tirePressure: undefined,
    carriageTempC: undefined,
    overspeed: undefined,
    areaAlarm: undefined,
    routeTime: undefined,
    videoAlarm: undefined,
    videoSignalLoss: undefined,
    videoOcclusion: undefined,
    videoStorageFault: undefined,
    extSignals: undefined,
    ioStatus: undefined,
    analog: undefined,
    rssi: undefined,
    satellites: undefined,
    extras: [],
    extraOrder: undefined,
    truncatedExtra: undefined,
  };
  if (extraStart < end) readExtraItems(buf, extraStart, end, loc);
  return ok(loc);
}

/** 0x0200 location report (SPEC §7.9). Bodies shorter than 28 bytes → BODY_SHORT. */
export function decode0200(body: Buffer, opts: BodyOptions): DecodeResult<Location> {
  return readLocation(body, 0, body.length, opts.utcOffsetMinutes);
}

/**
 * `decode0200` of the body `buf[start, end)` (a `PacketAt` range) without a view of it: same result,
 * error offsets and `truncatedExtra.offset` relative to `start` as `decode0200` gives them. The gateway's
 * per-frame path (bench/decode.ts); the rebasing runs only on those rare outcomes.
 */
export function decode0200At(buf: Buffer, start: number, end: number, opts: BodyOptions): DecodeResult<Location> {
  const r = readLocation(buf, start, end, opts.utcOffsetMinutes);
  if (start === 0) return r;
  if (!r.ok) return { ...r, offset: r.offset - start };
  const t = r.value.truncatedExtra;
  if (t !== undefined) r.value.truncatedExtra = { id: t.id, offset: t.offset - start, raw: t.raw };
  return r;
}

/** 0x0201 position query response (SPEC §7.10). */
export interface PositionQueryResponse {
  /** Serial of the 0x8201 being answered. */
  replySerial: number;
  location: Location;
}

/** 0x0201 = WORD reply serial + a complete 0x0200 body (SPEC §7.10). */
export function decode0201(body: Buffer, opts: BodyOptions): DecodeResult<PositionQueryResponse> {
  if (body.length < 2) return fail('BODY_SHORT', body.length, 'reply serial');
  const loc = readLocation(body, 2, body.length, opts.utcOffsetMinutes);
  if (!loc.ok) return loc;
  return ok({ replySerial: u16(body, 0), location: loc.value });
}

/** 0x0704 batch upload (SPEC §7.12). */
export interface BatchLocations {
  count: number;
  /** 0 normal batch, 1 blind-area backfill (old positions: check their time before alarming). */
  type: number;
  items: Location[];
}

/**
 * 0x0704 = WORD count (> 0), BYTE type (0/1), then `count` times `WORD len + 0x0200 body[len]`
 * (SPEC §7.12; the per-item length, never 28). A bad item fails the whole batch with the offset of the
 * fault in this body; so does a count that disagrees with the bytes.
 */
export function decode0704(body: Buffer, opts: BodyOptions): DecodeResult<BatchLocations> {
  const end = body.length;
  if (end < 3) return fail('BODY_SHORT', end, 'batch count and type');
  const count = u16(body, 0);
  const type = body[2];
  if (count === 0) return fail('BODY_INVALID', 0, 'batch count 0');
  if (type > 1) return fail('BODY_INVALID', 2, `batch type ${type}`);
  const items: Location[] = [];
  let p = 3;
  while (p < end) {
    if (items.length === count) return fail('BODY_INVALID', p, `${end - p} bytes after ${count} items`);
    if (p + 2 > end) return fail('BODY_SHORT', end, `item ${items.length} length`);
    const len = u16(body, p);
    const itemEnd = p + 2 + len;
    if (itemEnd > end) return fail('BODY_SHORT', end, `item ${items.length} declares ${len} bytes`);
    const loc = readLocation(body, p + 2, itemEnd, opts.utcOffsetMinutes);
    if (!loc.ok) return loc.detail === undefined ? loc : fail(loc.code, loc.offset, `item ${items.length}: ${loc.detail}`);
    items.push(loc.value);
    p = itemEnd;
  }
  if (items.length !== count) return fail('BODY_SHORT', end, `count ${count}, ${items.length} items present`);
  return ok({ count, type, items });
}

// ---------------------------------------------------------------------------------------------------
// Encoders (terminal side, used by the simulator; the platform side only needs 0x8201/0x8202).

/** An extra item to write verbatim. */
export interface RawExtraInput {
  id: number;
  raw: Uint8Array;
}

/**
 * What `encode0200` writes; a decoded `Location` is accepted as is. Raw fields win over unit fields
 * (latE6 over lat, speedRaw over speedKmh, mileageRaw over mileageKm, fuelRaw over fuelL). Extra items
 * are written in ascending id order, typed before raw on equal ids, or in `extraOrder` (extras.ts): a
 * decoded location re-encodes to its own bytes.
 */
export interface LocationInput extends TypedExtraItems {
  alarm?: number;
  /** Bits 2/3 (south/west) are set from the sign of lat/lon; kept as given when the value is 0. */
  status?: number;
  lat?: number;
  lon?: number;
  latE6?: number;
  lonE6?: number;
  altitudeM?: number;
  speedKmh?: number;
  speedRaw?: number;
  direction?: number;
  /** Epoch ms UTC, written in the terminal's zone; null → the all-zero time of unpositioned terminals. */
  time: number | null;
  /** Terminal clock offset (default 480, GMT+8). */
  utcOffsetMinutes?: number;
  mileageKm?: number;
  mileageRaw?: number;
  fuelL?: number;
  fuelRaw?: number;
  /** Items written raw (each ≤ 255 bytes). */
  extras?: readonly RawExtraInput[];
  /** Item order to follow (a decoded Location's `extraOrder`); default ascending ids. */
  extraOrder?: readonly number[];
  /** Written verbatim after the items: a malformed tail (fault injection, re-encoding a decoded body). */
  truncatedExtra?: { raw: Uint8Array };
}

function checkUint(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} ${value} outside 0..${max}`);
  return value;
}

function checkOptional(name: string, value: number | undefined, max: number): number | undefined {
  return value === undefined ? undefined : checkUint(name, value, max);
}

function e6(name: string, e6Value: number | undefined, degrees: number | undefined): number {
  const v = e6Value ?? (degrees === undefined ? 0 : Math.round(degrees * 1e6));
  if (!Number.isInteger(v) || Math.abs(v) > 0xffffffff) throw new RangeError(`${name} ${v} does not fit a DWORD`);
  return v;
}

function tenths(raw: number | undefined, value: number | undefined): number | undefined {
  return raw ?? (value === undefined ? undefined : Math.round(value * 10));
}

/** Range-checks the typed extra fields (RangeError on programmer error) and returns the hex to write. */
function checkedExtrasHex(loc: LocationInput): string {
  const u8 = 0xff;
  const u16 = 0xffff;
  const u32 = 0xffffffff;
  checkOptional('recorder speed', loc.recorderSpeedKmh === undefined ? undefined : Math.round(loc.recorderSpeedKmh * 10), u16);
  checkOptional('alarm event id', loc.alarmEventId, u16);
  if (loc.tirePressure !== undefined && loc.tirePressure.length !== 30) throw new RangeError(`tire pressure has ${loc.tirePressure.length} bytes, not 30`);
  if (loc.carriageTempC !== undefined) checkUint('carriage temperature magnitude', Math.abs(loc.carriageTempC), 0x7fff);
  if (loc.overspeed !== undefined) {
    checkUint('overspeed location type', loc.overspeed.locationType, u8);
    checkOptional('overspeed area id', loc.overspeed.areaId, u32);
  }
  if (loc.areaAlarm !== undefined) {
    checkUint('area type', loc.areaAlarm.locationType, u8);
    checkUint('area id', loc.areaAlarm.areaId, u32);
    checkUint('area direction', loc.areaAlarm.direction, u8);
  }
  if (loc.routeTime !== undefined) {
    checkUint('route section id', loc.routeTime.sectionId, u32);
    checkUint('route seconds', loc.routeTime.seconds, u16);
    checkUint('route result', loc.routeTime.result, u8);
  }
  checkOptional('video alarm', loc.videoAlarm, u32);
  checkOptional('video signal loss', loc.videoSignalLoss, u32);
  checkOptional('video occlusion', loc.videoOcclusion, u32);
  checkOptional('video storage fault', loc.videoStorageFault, u16);
  checkOptional('extended signals', loc.extSignals, u32);
  checkOptional('IO status', loc.ioStatus, u16);
  if (loc.analog !== undefined) {
    checkUint('AD0', loc.analog.ad0, u16);
    checkUint('AD1', loc.analog.ad1, u16);
  }
  for (const x of loc.extras ?? []) {
    checkUint('extra id', x.id, u8);
    checkUint(`extra 0x${x.id.toString(16)} length`, x.raw.length, u8);
  }
  return extraItemsHex(
    {
      ...loc,
      mileageRaw: checkOptional('mileage', tenths(loc.mileageRaw, loc.mileageKm), u32),
      fuelRaw: checkOptional('fuel', tenths(loc.fuelRaw, loc.fuelL), u16),
      rssi: checkOptional('rssi', loc.rssi, u8),
      satellites: checkOptional('satellites', loc.satellites, u8),
    },
    true,
  );
}

/**
 * Encodes a 0x0200 body (terminal side). Throws RangeError on values that do not fit their field.
 * `decode0200(encode0200(x))` gives x back (times at second resolution, units rounded to the wire's).
 */
export function encode0200(loc: LocationInput): Buffer {
  const hex = checkedExtrasHex(loc);
  const out = Buffer.alloc(LOCATION_BASIC_LENGTH + hex.length / 2);
  writeBasic(out, 0, loc);
  out.write(hex, LOCATION_BASIC_LENGTH, 'hex');
  return out;
}

/** Writes the 28-byte basic part at `at`. */
function writeBasic(out: Buffer, at: number, loc: LocationInput): void {
  const latE6 = e6('latitude', loc.latE6, loc.lat);
  const lonE6 = e6('longitude', loc.lonE6, loc.lon);
  let status = checkUint('status', loc.status ?? 0, 0xffffffff);
  if (latE6 !== 0) status = latE6 < 0 ? status | STATUS_SOUTH : status & ~STATUS_SOUTH;
  if (lonE6 !== 0) status = lonE6 < 0 ? status | STATUS_WEST : status & ~STATUS_WEST;
  out.writeUInt32BE(checkUint('alarm', loc.alarm ?? 0, 0xffffffff), at);
  out.writeUInt32BE(status >>> 0, at + 4);
  out.writeUInt32BE(Math.abs(latE6), at + 8);
  out.writeUInt32BE(Math.abs(lonE6), at + 12);
  out.writeUInt16BE(checkUint('altitude', loc.altitudeM ?? 0, 0xffff), at + 16);
  out.writeUInt16BE(checkUint('speed', tenths(loc.speedRaw, loc.speedKmh) ?? 0, 0xffff), at + 18);
  out.writeUInt16BE(checkUint('direction', loc.direction ?? 0, 0xffff), at + 20);
  if (loc.time === null) out.fill(0, at + LOCATION_TIME_OFFSET, at + LOCATION_TIME_OFFSET + 6);
  else writeBcdTime(out, at + LOCATION_TIME_OFFSET, loc.time, loc.utcOffsetMinutes ?? 480);
}

/** 0x0201 body (terminal side): WORD reply serial + 0x0200 body. */
export function encode0201(replySerial: number, loc: LocationInput): Buffer {
  const location = encode0200(loc);
  const out = Buffer.allocUnsafe(2 + location.length);
  out.writeUInt16BE(checkUint('reply serial', replySerial, 0xffff), 0);
  location.copy(out, 2);
  return out;
}

/** 0x0704 body (terminal side). Throws when there is no item (count must be > 0). */
export function encode0704(batch: { type: number; items: readonly LocationInput[] }): Buffer {
  if (batch.items.length === 0) throw new RangeError('0x0704 needs at least one item');
  checkUint('batch count', batch.items.length, 0xffff);
  checkUint('batch type', batch.type, 1);
  const bodies = batch.items.map(encode0200);
  let size = 3;
  for (const b of bodies) size += 2 + checkUint('item length', b.length, 0xffff);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(bodies.length, 0);
  out[2] = batch.type;
  let at = 3;
  for (const b of bodies) {
    out.writeUInt16BE(b.length, at);
    b.copy(out, at + 2);
    at += 2 + b.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Platform → terminal: 0x8201 position query, 0x8202 temporary tracking.

/** 0x8201 position query: empty body (SPEC §7.2, §7.10). */
export function encode8201(): Buffer {
  return Buffer.alloc(0);
}

/** 0x8201 has no body; any bytes present are ignored. */
export function decode8201(_body: Buffer, _opts: BodyOptions): DecodeResult<Record<string, never>> {
  return ok({});
}

/** 0x8202 temporary tracking (SPEC §7.11). */
export interface TemporaryTracking {
  /** Report interval in seconds; 0 stops tracking. */
  intervalS: number;
  /** Tracking validity in seconds; absent when a stop command omits the DWORD. */
  validityS?: number;
}

/** 0x8202 body: WORD interval, DWORD validity (omitted for a stop without validity). */
export function encode8202(t: TemporaryTracking): Buffer {
  checkUint('interval', t.intervalS, 0xffff);
  if (t.validityS === undefined) {
    if (t.intervalS !== 0) throw new RangeError('0x8202 validity is required unless the interval is 0');
    return Buffer.alloc(2); // interval 0 = stop; the DWORD may be omitted (SPEC §7.11)
  }
  const out = Buffer.allocUnsafe(6);
  out.writeUInt16BE(t.intervalS, 0);
  out.writeUInt32BE(checkUint('validity', t.validityS, 0xffffffff), 2);
  return out;
}

/** 0x8202 decoder (terminal side): a 2-byte body is accepted only as a stop (interval 0). */
export function decode8202(body: Buffer, _opts: BodyOptions): DecodeResult<TemporaryTracking> {
  if (body.length < 2) return fail('BODY_SHORT', body.length, 'interval');
  const intervalS = u16(body, 0);
  if (body.length === 2 && intervalS === 0) return ok({ intervalS });
  if (body.length < 6) return fail('BODY_SHORT', body.length, 'validity');
  return ok({ intervalS, validityS: u32(body, 2) });
}
