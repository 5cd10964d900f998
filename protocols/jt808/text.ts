/**
 * STRING fields are GBK (SPEC §2, §5.2; pitfall §10.14). Fixed-width BYTE[n] text is padded with 0x00
 * (left in 2019 models, right elsewhere) or spaces: decoding strips both on both sides, never ASCII '0'.
 */
import iconv from 'iconv-lite';

/**
 * ASCII is GBK's single-byte half, so ASCII text (most maker ids, models, device ids, auth codes) skips
 * iconv: its decoder objects were ~3.8 KB of garbage per registration (bench/connections.ts, allocation
 * profile of a 19,000-terminal connect storm).
 */
export function decodeGbk(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  const bytes = Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  return isAsciiBytes(buf, start, end) ? bytes.toString('latin1') : iconv.decode(bytes, 'gbk');
}

export function encodeGbk(text: string): Buffer {
  return isAsciiText(text) ? Buffer.from(text, 'latin1') : iconv.encode(text, 'gbk');
}

function isAsciiBytes(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] > 0x7f) return false;
  return true;
}

function isAsciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Decodes a fixed-width text field, stripping 0x00 and space padding from both ends. */
export function decodeFixedText(buf: Uint8Array, start: number, end: number): string {
  let s = start;
  let e = end;
  while (s < e && (buf[s] === 0x00 || buf[s] === 0x20)) s++;
  while (e > s && (buf[e - 1] === 0x00 || buf[e - 1] === 0x20)) e--;
  return decodeGbk(buf, s, e);
}

/**
 * Encodes text into a fixed-width field. `pad: 'right'` (2013 default) or `'left'` (2019 terminal
 * model per the 2019 text). Throws when the text does not fit (programmer error in the encoder's caller).
 */
export function writeFixedText(target: Uint8Array, offset: number, width: number, text: string, pad: 'left' | 'right' = 'right'): void {
  const bytes = encodeGbk(text);
  if (bytes.length > width) throw new RangeError(`text "${text}" is ${bytes.length} bytes, field is ${width}`);
  target.fill(0, offset, offset + width);
  const at = pad === 'left' ? offset + width - bytes.length : offset;
  target.set(bytes, at);
}
