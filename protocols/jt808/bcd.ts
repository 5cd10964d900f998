/**
 * BCD and time helpers (SPEC §2, §4.4, §5.1).
 */

/** Hex digits of `buf[start, end)`; for real BCD this is the decimal digit string. Never throws. */
export function bcdDigits(buf: Uint8Array, start: number, end: number): string {
  // The header phone (6 or 10 bytes) is read for every frame: one fromCharCode call is ≈4x cheaper than
  // toString('hex') through C++ (≈25 vs ≈90 ns; bench/decode.ts, "packet" stage).
  if (end - start === 6) return hex6(buf, start);
  if (end - start === 10) return hex6(buf, start) + hex4(buf, start + 6);
  return Buffer.prototype.toString.call(buf, 'hex', start, end);
}

/** '0'-'9', 'a'-'f' char codes. */
const HEX_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

function hex6(b: Uint8Array, s: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(
    h[b[s] >> 4], h[b[s] & 15], h[b[s + 1] >> 4], h[b[s + 1] & 15], h[b[s + 2] >> 4], h[b[s + 2] & 15],
    h[b[s + 3] >> 4], h[b[s + 3] & 15], h[b[s + 4] >> 4], h[b[s + 4] & 15], h[b[s + 5] >> 4], h[b[s + 5] & 15],
  );
}

function hex4(b: Uint8Array, s: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(
    h[b[s] >> 4], h[b[s] & 15], h[b[s + 1] >> 4], h[b[s + 1] & 15], h[b[s + 2] >> 4], h[b[s + 2] & 15], h[b[s + 3] >> 4], h[b[s + 3] & 15],
  );
}

/**
 * The canonical terminal id used everywhere in the API and storage: the BCD digit string with leading
 * zeros stripped, so the 2013 form `013800138000` and the 2019 form `00000000013800138000` are one
 * terminal. Non-BCD ids (binary IMEI, letters in a nibble; SPEC §4.4) are kept as the full hex string
 * (lower case), never stripped, so they cannot collide with a stripped digit string of another length.
 */
export function canonicalTerminalId(phoneHex: string): string {
  let i = 0;
  const n = phoneHex.length;
  let digitsOnly = true;
  for (let k = 0; k < n; k++) {
    const c = phoneHex.charCodeAt(k);
    if (c < 48 || c > 57) {
      digitsOnly = false;
      break;
    }
  }
  if (!digitsOnly) return phoneHex.toLowerCase();
  while (i < n - 1 && phoneHex.charCodeAt(i) === 48) i++;
  return i === 0 ? phoneHex : phoneHex.slice(i);
}

/**
 * canonicalTerminalId of the ASCII phone text `buf[start, end)` (a spooled record keeps it so), without the
 * string first: a digit phone's id is its decimal value, so String(value) gives it. Measured cheaper than a
 * Map cache of ids per read (V8 keeps its own small number→string cache).
 */
export function canonicalTerminalIdAt(buf: Buffer, start: number, end: number): string {
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return canonicalTerminalId(buf.toString('latin1', start, end));
    v = v * 10 + d;
  }
  // Past 2^53 the value is not exact (20-digit phones without leading zeros): the string way.
  return start < end && v <= Number.MAX_SAFE_INTEGER ? String(v) : canonicalTerminalId(buf.toString('latin1', start, end));
}

/**
 * The header phone's two strings (`phoneBcd`, canonical `terminalId`) for the last phone read, kept
 * with the phone's bytes packed into integers. A connection repeats its phone in every frame, so
 * comparing the bytes replaces building both strings (bench/decode.ts, "packet" stage). The strings are
 * exactly `bcdDigits` + `canonicalTerminalId` of the bytes, hit or miss. Keep one per connection (it is
 * per-connection state, like the splitter); callers that pass none get the strings built per call.
 */
export class PhoneCache {
  /** Valid after `read`: the phone of the last call. */
  phoneBcd = '';
  terminalId = '';
  /** Byte length of the cached phone (6 or 10; 0 = empty), and its bytes big-endian in 4+4+2 or 4+2. */
  private length = 0;
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;

  /** Sets `phoneBcd` and `terminalId` for the phone in `buf[start, end)`. Never throws. */
  read(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n !== 6 && n !== 10) {
      // Headers only hold 6 or 10 bytes; anything else is computed and not cached.
      this.length = 0;
      this.phoneBcd = bcdDigits(buf, start, end);
      this.terminalId = canonicalTerminalId(this.phoneBcd);
      return;
    }
    const w0 = (buf[start] << 24) | (buf[start + 1] << 16) | (buf[start + 2] << 8) | buf[start + 3];
    let w1: number;
    let w2 = 0;
    if (n === 6) w1 = (buf[start + 4] << 8) | buf[start + 5];
    else {
      w1 = (buf[start + 4] << 24) | (buf[start + 5] << 16) | (buf[start + 6] << 8) | buf[start + 7];
      w2 = (buf[start + 8] << 8) | buf[start + 9];
    }
    if (n === this.length && w0 === this.w0 && w1 === this.w1 && w2 === this.w2) return;
    this.phoneBcd = bcdDigits(buf, start, end);
    this.terminalId = canonicalTerminalId(this.phoneBcd);
    this.length = n;
    this.w0 = w0;
    this.w1 = w1;
    this.w2 = w2;
  }

  /**
   * What `writeBcd(target, offset, phoneBcd, byteLength)` writes, from the cached bytes (≈4 vs ≈40 ns:
   * an answer echoes the request's phone); false, writing nothing, when the cache holds another phone.
   */
  writeBytes(target: Uint8Array, offset: number, phoneBcd: string, byteLength: number): boolean {
    if (this.length !== byteLength || this.phoneBcd !== phoneBcd) return false;
    const w0 = this.w0;
    const w1 = this.w1;
    target[offset] = w0 >>> 24;
    target[offset + 1] = w0 >>> 16;
    target[offset + 2] = w0 >>> 8;
    target[offset + 3] = w0;
    if (byteLength === 6) {
      target[offset + 4] = w1 >>> 8;
      target[offset + 5] = w1;
      return true;
    }
    const w2 = this.w2;
    target[offset + 4] = w1 >>> 24;
    target[offset + 5] = w1 >>> 16;
    target[offset + 6] = w1 >>> 8;
    target[offset + 7] = w1;
    target[offset + 8] = w2 >>> 8;
    target[offset + 9] = w2;
    return true;
  }
}

/**
 * Normalises an id typed by a user (API path, CSV, CLI): digits with or without leading zeros, or a
 * hex id. Returns undefined when the text cannot be a terminal id.
 */
export function normaliseTerminalIdInput(text: string): string | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > 20) return undefined;
  if (/^[0-9]+$/.test(t)) return canonicalTerminalId(t);
  if (/^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0) return t.toLowerCase();
  return undefined;
}

/**
 * Writes a digit string as BCD[byteLength], left-padded with zeros. Throws on programmer error. Allocation-free:
 * the gateway writes the phone of every answer with it.
 */
export function writeBcd(target: Uint8Array, offset: number, digits: string, byteLength: number): void {
  const pad = byteLength * 2 - digits.length;
  if (pad < 0) throw new RangeError(`BCD value "${digits}" longer than ${byteLength * 2} digits`);
  for (let i = 0; i < byteLength; i++) target[offset + i] = (hexDigit(digits, 2 * i - pad) << 4) | hexDigit(digits, 2 * i + 1 - pad);
}

/** The value of digits[i] as a hex digit; 0 left of the string (padding). */
function hexDigit(digits: string, i: number): number {
  if (i < 0) return 0;
  const c = digits.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  throw new RangeError(`BCD value "${digits}" is not hex digits`);
}

function bcdByte(b: number): number {
  const hi = b >> 4;
  const lo = b & 0x0f;
  if (hi > 9 || lo > 9) return -1;
  return hi * 10 + lo;
}

/**
 * Reads a BCD[6] time `YY MM DD hh mm ss` in the terminal's zone (UTC offset in minutes, JT808 default
 * +480 = GMT+8) and returns epoch milliseconds UTC. Returns null for the all-zero or otherwise invalid
 * times unpositioned terminals send (SPEC §5.1), and -1 for non-BCD bytes (a decode error).
 */
export function readBcdTime(buf: Uint8Array, offset: number, utcOffsetMinutes: number): number | null {
  const yy = bcdByte(buf[offset]);
  const mo = bcdByte(buf[offset + 1]);
  const dd = bcdByte(buf[offset + 2]);
  const hh = bcdByte(buf[offset + 3]);
  const mi = bcdByte(buf[offset + 4]);
  const ss = bcdByte(buf[offset + 5]);
  if ((yy | mo | dd | hh | mi | ss) < 0) return -1;
  if (mo < 1 || mo > 12 || dd < 1 || hh > 23 || mi > 59 || ss > 59) return null;
  // Integer calendar math instead of Date.UTC + new Date (≈120 → ≈25 ns; bench/decode.ts): this runs
  // for every position. Years are 2000-2099, where every 4th year is a leap year (2000 included).
  const leap = (yy & 3) === 0;
  if (dd > (mo === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[mo - 1])) return null; // no Feb 30 rolling into March
  const days = (30 + yy) * 365 + ((yy + 31) >> 2) + DAYS_BEFORE_MONTH[mo - 1] + (leap && mo > 2 ? 1 : 0) + dd - 1;
  return (((days * 24 + hh) * 60 + mi) * 60 + ss) * 1000 - utcOffsetMinutes * 60_000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** Writes epoch milliseconds as BCD[6] local time at the given UTC offset (minutes). */
export function writeBcdTime(target: Uint8Array, offset: number, epochMs: number, utcOffsetMinutes: number): void {
  const d = new Date(epochMs + utcOffsetMinutes * 60_000);
  const year = d.getUTCFullYear();
  if (year < 2000 || year > 2099) throw new RangeError(`time ${d.toISOString()} outside the BCD[6] range 2000-2099`);
  const parts = [year - 2000, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  for (let i = 0; i < 6; i++) target[offset + i] = ((parts[i] / 10) | 0) * 16 + (parts[i] % 10);
}
