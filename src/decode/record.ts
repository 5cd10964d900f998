/**
 * The spool record the gateway writes for every accepted message, and the decode workers read back.
 * Format (big-endian):
 *   u8  format (1)
 *   u8  flags     bit0 authenticated session, bit1 checksum was bad (accepted in lenient mode),
 *                 bit2 reassembled from fragments, bit3 fragment (kept for the raw archive only)
 *   i16 utcOffsetMinutes of the terminal's clock
 *   u16 msgId
 *   u16 serial    (first fragment's serial for a reassembled message)
 *   u8  layout    0 = 2011/2013 header, 1 = 2019 header
 *   u8  phone length (bytes of hex text, 12 or 20)
 *   ..  phone BCD hex digits as sent (ASCII), so the raw archive keeps the full id
 *   ..  body (the message body, unescaped; for a reassembled message the concatenated bodies)
 * The receive time is the spool record's own stamp.
 */
export const RECORD_FORMAT = 1;
export const RECORD_FIXED_BYTES = 10;

export const FLAG_AUTHENTICATED = 0x01;
export const FLAG_BAD_CHECKSUM = 0x02;
export const FLAG_REASSEMBLED = 0x04;
export const FLAG_FRAGMENT = 0x08;

export interface RecordFields {
  flags: number;
  utcOffsetMinutes: number;
  msgId: number;
  serial: number;
  layout: '2013' | '2019';
  phoneBcd: string;
}

/** Largest record: 20-digit phone plus the largest reassembled body the gateway allows. */
export function recordSize(phoneBcd: string, bodyLength: number): number {
  return RECORD_FIXED_BYTES + phoneBcd.length + bodyLength;
}

/**
 * Writes a record into `target` (which must be large enough, see recordSize) and returns its length.
 * The gateway writes with `writeRecordAt`, in place in the spool's write buffer.
 */
export function writeRecord(target: Buffer, fields: RecordFields, body: Uint8Array): number {
  return writeRecordAt(target, 0, fields.flags, fields.utcOffsetMinutes, fields, body, 0, body.length);
}

/** The header fields a record takes from the message (a protocol Header has them). */
export type RecordHeader = Pick<RecordFields, 'msgId' | 'serial' | 'layout' | 'phoneBcd'>;

/** Bodies up to this length are copied byte by byte: cheaper than a view for set(). */
const LOOP_COPY_MAX = 128;

/**
 * `writeRecord` at `target[at]`, with the body `src[start, end)`: what the gateway writes straight into the
 * spool's write buffer, per message, so no fields object and no body view. Plain byte stores: in optimized
 * code every Buffer method is looked up through a generic LoadIC (V8 11, Node 20).
 */
export function writeRecordAt(
  target: Uint8Array,
  at: number,
  flags: number,
  utcOffsetMinutes: number,
  header: RecordHeader,
  src: Uint8Array,
  start: number,
  end: number,
): number {
  const phone = header.phoneBcd;
  const phoneLength = phone.length;
  const msgId = header.msgId;
  const serial = header.serial;
  target[at] = RECORD_FORMAT;
  target[at + 1] = flags;
  target[at + 2] = utcOffsetMinutes >> 8;
  target[at + 3] = utcOffsetMinutes;
  target[at + 4] = msgId >> 8;
  target[at + 5] = msgId;
  target[at + 6] = serial >> 8;
  target[at + 7] = serial;
  target[at + 8] = header.layout === '2019' ? 1 : 0;
  target[at + 9] = phoneLength;
  let w = at + RECORD_FIXED_BYTES;
  for (let i = 0; i < phoneLength; i++) target[w++] = phone.charCodeAt(i); // latin1
  const n = end - start;
  if (n <= LOOP_COPY_MAX) for (let i = start; i < end; i++) target[w++] = src[i];
  else target.set(src.subarray(start, end), w);
  return RECORD_FIXED_BYTES + phoneLength + n;
}

export interface DecodedRecord extends RecordFields {
  body: Buffer;
}

/** Byte offsets of the fixed fields, for readers that take fields straight from the bytes (decode-records.ts). */
export const AT_FLAGS = 1;
export const AT_UTC_OFFSET = 2;
export const AT_MSG_ID = 4;
export const AT_SERIAL = 6;
export const AT_LAYOUT = 8;
export const AT_PHONE_LENGTH = 9;

/**
 * Offset of the body in `data`, or -1 when the bytes are not a record of a known format: readRecord's
 * check without its object, so the decode hot path reads fields by offset and the body in place.
 */
export function recordBodyStart(data: Uint8Array): number {
  if (data.length < RECORD_FIXED_BYTES || data[0] !== RECORD_FORMAT) return -1;
  const bodyStart = RECORD_FIXED_BYTES + data[AT_PHONE_LENGTH];
  return data.length < bodyStart ? -1 : bodyStart;
}

/** The record's utcOffsetMinutes (i16), read in place. */
export function recordUtcOffset(data: Uint8Array): number {
  return (((data[AT_UTC_OFFSET] << 8) | data[AT_UTC_OFFSET + 1]) << 16) >> 16;
}

/** Reads a record; returns null when the bytes are not a record of a known format. */
export function readRecord(data: Buffer): DecodedRecord | null {
  const bodyStart = recordBodyStart(data);
  if (bodyStart < 0) return null;
  return {
    flags: data[AT_FLAGS],
    utcOffsetMinutes: data.readInt16BE(AT_UTC_OFFSET),
    msgId: data.readUInt16BE(AT_MSG_ID),
    serial: data.readUInt16BE(AT_SERIAL),
    layout: data[AT_LAYOUT] === 1 ? '2019' : '2013',
    phoneBcd: data.toString('latin1', RECORD_FIXED_BYTES, bodyStart),
    body: data.subarray(bodyStart),
  };
}
