/**
 * Terminal-side wire writing on the hot path. The codec (protocols/jt808) defines the bytes; this
 * module writes the same bytes without per-message objects: the header is a per-terminal template
 * built once (phone BCD, version byte) and patched per frame; checksum and escaping happen in one pass
 * straight into the caller's output buffer; the 0x0200 body is written from a Sample. Byte-for-byte
 * equality with encodePacket / encode0200 / encode0704 is checked by test/simulator/wire.test.ts.
 */
import { detectLayout, encodeHeaderAndBody, HEADER_2013, HEADER_2019, SUBPACKAGE_FIELDS, type HeaderLayout } from '../protocols/jt808/index.js';
import { LOCATION_BASIC_LENGTH, STATUS_ACC, STATUS_POSITIONED, STATUS_SOUTH, STATUS_WEST } from '../protocols/jt808/index.js';
import { LOCAL_OFFSET_MS, DAY_MS } from './geo.js';

const SUBPACKAGE_BIT = 0x2000;
const VERSION_BIT = 0x4000;
/** GPS + BeiDou used for the fix (status bits 18, 19). */
const STATUS_GNSS = (1 << 18) | (1 << 19);

/** Bytes a frame of `unescaped` header+body bytes may take on the wire (worst case: every byte escaped). */
export function maxWireLength(unescaped: number): number {
  return 2 * (unescaped + 1) + 2;
}

/** Per-terminal frame writer: header template + one-pass checksum/escape. */
export class FrameWriter {
  private readonly tpl: Buffer;
  private readonly serialAt: number;
  readonly baseHeaderLength: number;

  constructor(
    readonly layout: HeaderLayout,
    phoneBcd: string,
    protocolVersion = 1,
  ) {
    // The codec writes the template once (phone BCD, version byte); we patch id, properties and serial.
    this.tpl = encodeHeaderAndBody({ msgId: 0, layout, phoneBcd, serial: 0, protocolVersion, packetTotal: 1, packetIndex: 1 }, Buffer.alloc(0));
    this.baseHeaderLength = layout === '2019' ? HEADER_2019 : HEADER_2013;
    this.serialAt = this.baseHeaderLength - 2;
  }

  /**
   * Writes one complete wire frame for `body[start, end)` into `dst` at `at` and returns the new end.
   * `packetTotal > 0` writes a fragment header (bit 13 + total/index). The caller guarantees room
   * (maxWireLength). Throws on a body longer than the 10-bit length field, like the codec.
   */
  write(dst: Buffer, at: number, msgId: number, serial: number, body: Uint8Array, start: number, end: number, packetTotal = 0, packetIndex = 0): number {
    const len = end - start;
    if (len > 0x3ff) throw new RangeError(`body of ${len} bytes exceeds 1023: subpackage it`);
    const t = this.tpl;
    const sub = packetTotal > 0;
    const props = len | (sub ? SUBPACKAGE_BIT : 0) | (this.layout === '2019' ? VERSION_BIT : 0);
    t[0] = msgId >>> 8;
    t[1] = msgId & 0xff;
    t[2] = props >>> 8;
    t[3] = props & 0xff;
    const s = this.serialAt;
    t[s] = (serial >>> 8) & 0xff;
    t[s + 1] = serial & 0xff;
    let hl = this.baseHeaderLength;
    if (sub) {
      t[s + 2] = packetTotal >>> 8;
      t[s + 3] = packetTotal & 0xff;
      t[s + 4] = packetIndex >>> 8;
      t[s + 5] = packetIndex & 0xff;
      hl += SUBPACKAGE_FIELDS;
    }
    let w = at;
    let x = 0;
    dst[w++] = 0x7e;
    for (let i = 0; i < hl; i++) {
      const b = t[i];
      x ^= b;
      if (b === 0x7e || b === 0x7d) {
        dst[w++] = 0x7d;
        dst[w++] = b === 0x7e ? 0x02 : 0x01;
      } else dst[w++] = b;
    }
    for (let i = start; i < end; i++) {
      const b = body[i];
      x ^= b;
      if (b === 0x7e || b === 0x7d) {
        dst[w++] = 0x7d;
        dst[w++] = b === 0x7e ? 0x02 : 0x01;
      } else dst[w++] = b;
    }
    if (x === 0x7e || x === 0x7d) {
      dst[w++] = 0x7d;
      dst[w++] = x === 0x7e ? 0x02 : 0x01;
    } else dst[w++] = x;
    dst[w++] = 0x7e;
    return w;
  }
}

// ---- BCD time ------------------------------------------------------------------------------------

let cachedDay = -1;
let cachedYmd = 0; // YY MM DD as three BCD bytes packed

const bcd = (n: number): number => ((n / 10) | 0) * 16 + (n % 10);

/** Writes epoch ms as BCD[6] GMT+8 (SPEC §5.1); the date part is cached per day (one Date per day). */
export function writeBcdTime8(dst: Uint8Array, at: number, epochMs: number): void {
  const local = epochMs + LOCAL_OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  if (day !== cachedDay) {
    const d = new Date(day * DAY_MS);
    const y = d.getUTCFullYear();
    if (y < 2000 || y > 2099) throw new RangeError(`time ${d.toISOString()} outside the BCD[6] range 2000-2099`);
    cachedYmd = (bcd(y - 2000) << 16) | (bcd(d.getUTCMonth() + 1) << 8) | bcd(d.getUTCDate());
    cachedDay = day;
  }
  const sec = Math.floor((local - day * DAY_MS) / 1000);
  dst[at] = cachedYmd >>> 16;
  dst[at + 1] = (cachedYmd >>> 8) & 0xff;
  dst[at + 2] = cachedYmd & 0xff;
  dst[at + 3] = bcd((sec / 3600) | 0);
  dst[at + 4] = bcd(((sec / 60) | 0) % 60);
  dst[at + 5] = bcd(sec % 60);
}

// ---- 0x0200 body ---------------------------------------------------------------------------------

/** Length of the 0x0200 body `writeLocation` writes: 28 + odometer(6) + fuel(4) + RSSI(3) + satellites(3). */
export const LOCATION_BODY_LENGTH = LOCATION_BASIC_LENGTH + 16;

/** What a location body needs; a Sample fits, and so does a row of the sample log. */
export interface LocationFields {
  latE6: number;
  lonE6: number;
  altitudeM: number;
  speedRaw: number;
  direction: number;
  acc: number;
  odometerRaw: number;
  fuelRaw: number;
  rssi: number;
  satellites: number;
}

/** The status DWORD the simulator reports (SPEC §7.9.1). */
export function statusOf(acc: number, latE6: number, lonE6: number): number {
  return ((acc ? STATUS_ACC : 0) | STATUS_POSITIONED | STATUS_GNSS | (latE6 < 0 ? STATUS_SOUTH : 0) | (lonE6 < 0 ? STATUS_WEST : 0)) >>> 0;
}

function u32(dst: Uint8Array, at: number, v: number): void {
  dst[at] = v >>> 24;
  dst[at + 1] = (v >>> 16) & 0xff;
  dst[at + 2] = (v >>> 8) & 0xff;
  dst[at + 3] = v & 0xff;
}

function u16(dst: Uint8Array, at: number, v: number): void {
  dst[at] = (v >>> 8) & 0xff;
  dst[at + 1] = v & 0xff;
}

/**
 * Writes a 0x0200 body (as encode0200 with mileage, fuel, RSSI and satellites) at `at`; device time is
 * passed separately (the terminal's clock may be skewed). Returns the end offset.
 */
export function writeLocation(dst: Uint8Array, at: number, s: LocationFields, deviceTimeMs: number): number {
  u32(dst, at, 0);
  u32(dst, at + 4, statusOf(s.acc, s.latE6, s.lonE6));
  u32(dst, at + 8, Math.abs(s.latE6));
  u32(dst, at + 12, Math.abs(s.lonE6));
  u16(dst, at + 16, s.altitudeM);
  u16(dst, at + 18, s.speedRaw);
  u16(dst, at + 20, s.direction);
  writeBcdTime8(dst, at + 22, deviceTimeMs);
  let p = at + LOCATION_BASIC_LENGTH;
  dst[p] = 0x01;
  dst[p + 1] = 4;
  u32(dst, p + 2, s.odometerRaw);
  p += 6;
  dst[p] = 0x02;
  dst[p + 1] = 2;
  u16(dst, p + 2, s.fuelRaw);
  p += 4;
  dst[p] = 0x30;
  dst[p + 1] = 1;
  dst[p + 2] = s.rssi;
  p += 3;
  dst[p] = 0x31;
  dst[p + 1] = 1;
  dst[p + 2] = s.satellites;
  return p + 3;
}

/** 0x0704 head: item count and type (1 = blind-area backfill, SPEC §7.12). Items follow as WORD len + body. */
export function writeBatchHead(dst: Uint8Array, at: number, count: number, type: number): number {
  u16(dst, at, count);
  dst[at + 2] = type;
  return at + 3;
}

export function writeBatchItem(dst: Uint8Array, at: number, s: LocationFields, deviceTimeMs: number): number {
  u16(dst, at, LOCATION_BODY_LENGTH);
  return writeLocation(dst, at + 2, s, deviceTimeMs);
}

/** 0x0704 items that fit one unfragmented body (≤ 1023 bytes). */
export const BATCH_ITEMS_PER_FRAME = Math.floor((0x3ff - 3) / (LOCATION_BODY_LENGTH + 2));

// ---- platform frames ----------------------------------------------------------------------------

/** Where a platform frame's parts are (reused: no object per answer). */
export interface PlatformFrame {
  msgId: number;
  layout: HeaderLayout;
  bodyStart: number;
  /** Exclusive; the checksum byte follows. */
  bodyEnd: number;
}

/**
 * Locates msg id and body in an unescaped platform frame (header + body + checksum). False when the
 * checksum is wrong or neither header layout fits the length (SPEC §4.3).
 */
export function readPlatformFrame(f: Uint8Array, out: PlatformFrame): boolean {
  const len = f.length;
  if (len < HEADER_2013 + 1) return false;
  let x = 0;
  for (let i = 0; i < len - 1; i++) x ^= f[i];
  if (x !== f[len - 1]) return false;
  const props = (f[2] << 8) | f[3];
  const layout = detectLayout(props, len - 1);
  if (layout === null) return false;
  out.msgId = (f[0] << 8) | f[1];
  out.layout = layout;
  out.bodyStart = (layout === '2019' ? HEADER_2019 : HEADER_2013) + ((props & SUBPACKAGE_BIT) !== 0 ? SUBPACKAGE_FIELDS : 0);
  out.bodyEnd = len - 1;
  return true;
}
