/**
 * A 0x0200 body → the stored row's numbers and extras bytes, straight from the bytes: what
 * `toPositionRow(terminal, readLocation(...), recvTs, 0)` gives, with no Location, row or hex string. The RowBinary
 * decode path (decode-row-binary.ts) runs it for nearly every record; test/decode/decode-row-binary.test.ts holds
 * it to the object path byte for byte.
 */
import { readBcdTime } from '../../protocols/jt808/bcd.js';
import { u16, u32 } from '../../protocols/jt808/bytes.js';
import { EXTRA_FUEL, EXTRA_MILEAGE, EXTRA_RSSI, EXTRA_SATELLITES } from '../../protocols/jt808/messages/extras.js';
import {
  coordinatesInRange,
  LOCATION_BASIC_LENGTH,
  LOCATION_TIME_OFFSET,
  signedCoordinate,
  STATUS_SOUTH,
  STATUS_WEST,
} from '../../protocols/jt808/messages/location.js';
import type { PositionNumbers } from '../store/rows.js';

/** The body does not decode (short, or a non-BCD time): readLocation's failure. */
export const READ_FAILED = -1;
/** A report without a valid device time: decoded, but not stored (decode-records.ts pushPosition). */
export const READ_NO_TIME = -2;

/** The numeric columns of the row being read; one per decoder, overwritten per record. */
export class PositionScratch implements PositionNumbers {
  ts = 0;
  recvTs = 0;
  latE6 = 0;
  lonE6 = 0;
  speed = 0;
  direction = 0;
  altitude = 0;
  alarm = 0;
  status = 0;
  odometer = 0;
  fuel = 0;
  satellites = 0;
  signal = 0;
  backfill: 0 | 1 = 0;
}

// The first well-formed item of each id the row keeps apart from `extras` (extras.ts readExtraItems' typed rule).
const SEEN_MILEAGE = 1;
const SEEN_FUEL = 2;
const SEEN_RSSI = 4;
const SEEN_SATELLITES = 8;

/**
 * Reads the 0x0200 body `buf[start, end)` (terminal clock at `utcOffsetMinutes`) into `out` (all but recvTs and
 * backfill, which are the caller's) and writes the row's extras bytes at `x[at]`; returns their count, or
 * READ_FAILED / READ_NO_TIME (then `out` and `x` hold nothing of use). `x` needs room for `end - start - 28` bytes.
 *
 * The extras are what `extraItemsHex(loc, false)` writes, as bytes. That function re-encodes typed items from
 * their values, in the order the decoder saw them (ascending ids, or the recorded wire order), so it gives back
 * the wire bytes of every complete item, then a truncated tail verbatim, less the first well-formed mileage
 * (0x01/4), fuel (0x02/2), RSSI (0x30/1) and satellites (0x31/1), which have columns.
 */
export function readPositionAt(buf: Uint8Array, start: number, end: number, utcOffsetMinutes: number, out: PositionScratch, x: Uint8Array, at: number): number {
  if (end - start < LOCATION_BASIC_LENGTH) return READ_FAILED;
  const time = readBcdTime(buf, start + LOCATION_TIME_OFFSET, utcOffsetMinutes);
  if (time === -1) return READ_FAILED;
  if (time === null) return READ_NO_TIME;
  const status = u32(buf, start + 4);
  const latRaw = u32(buf, start + 8);
  const lonRaw = u32(buf, start + 12);
  // Out-of-range coordinates are stored as 0/0 (position-row.ts).
  const inRange = coordinatesInRange(latRaw, lonRaw);
  out.ts = Math.floor(time / 1000);
  out.latE6 = inRange ? signedCoordinate(latRaw, status, STATUS_SOUTH) : 0;
  out.lonE6 = inRange ? signedCoordinate(lonRaw, status, STATUS_WEST) : 0;
  out.speed = u16(buf, start + 18);
  out.direction = u16(buf, start + 20);
  out.altitude = u16(buf, start + 16);
  out.alarm = u32(buf, start);
  out.status = status;
  out.odometer = 0;
  out.fuel = 0;
  out.satellites = 0;
  out.signal = 0;

  let n = at;
  let seen = 0;
  let p = start + LOCATION_BASIC_LENGTH;
  while (p < end) {
    if (p + 2 > end || p + 2 + buf[p + 1] > end) {
      // Declared length past the end: kept verbatim (extras.ts truncatedExtra).
      while (p < end) x[n++] = buf[p++];
      break;
    }
    const id = buf[p];
    const len = buf[p + 1];
    const v = p + 2;
    if (id === EXTRA_MILEAGE && len === 4 && (seen & SEEN_MILEAGE) === 0) {
      seen |= SEEN_MILEAGE;
      out.odometer = u32(buf, v);
    } else if (id === EXTRA_FUEL && len === 2 && (seen & SEEN_FUEL) === 0) {
      seen |= SEEN_FUEL;
      out.fuel = u16(buf, v);
    } else if (id === EXTRA_RSSI && len === 1 && (seen & SEEN_RSSI) === 0) {
      seen |= SEEN_RSSI;
      out.signal = buf[v];
    } else if (id === EXTRA_SATELLITES && len === 1 && (seen & SEEN_SATELLITES) === 0) {
      seen |= SEEN_SATELLITES;
      out.satellites = buf[v];
    } else {
      for (let i = p, e = v + len; i < e; i++) x[n++] = buf[i];
    }
    p = v + len;
  }
  return n - at;
}
