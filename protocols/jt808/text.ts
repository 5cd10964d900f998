/**
 * STRING fields are GBK (SPEC §2, §5.2; pitfall §10.14). Fixed-width BYTE[n] text is padded with 0x00
 * (left in 2019 models, right elsewhere) or spaces: decoding strips both on both sides, never ASCII '0'.
 */
import iconv from 'iconv-lite';

export function decodeGbk(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  return iconv.decode(Buffer.from(buf.buffer, buf.byteOffset + start, end - start), 'gbk');
}

export function encodeGbk(text: string): Buffer {
  return iconv.encode(text, 'gbk');
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
