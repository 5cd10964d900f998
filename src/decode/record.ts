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
 * The gateway reuses one scratch buffer: the spool copies the bytes on append.
 */
export function writeRecord(target: Buffer, fields: RecordFields, body: Uint8Array): number {
  target[0] = RECORD_FORMAT;
  target[1] = fields.flags;
  target.writeInt16BE(fields.utcOffsetMinutes, 2);
  target.writeUInt16BE(fields.msgId, 4);
  target.writeUInt16BE(fields.serial & 0xffff, 6);
  target[8] = fields.layout === '2019' ? 1 : 0;
  const phoneLength = fields.phoneBcd.length;
  target[9] = phoneLength;
  target.write(fields.phoneBcd, RECORD_FIXED_BYTES, phoneLength, 'latin1');
  target.set(body, RECORD_FIXED_BYTES + phoneLength);
  return RECORD_FIXED_BYTES + phoneLength + body.length;
}

export interface DecodedRecord extends RecordFields {
  body: Buffer;
}

/** Reads a record; returns null when the bytes are not a record of a known format. */
export function readRecord(data: Buffer): DecodedRecord | null {
  if (data.length < RECORD_FIXED_BYTES || data[0] !== RECORD_FORMAT) return null;
  const phoneLength = data[9];
  const bodyStart = RECORD_FIXED_BYTES + phoneLength;
  if (data.length < bodyStart) return null;
  return {
    flags: data[1],
    utcOffsetMinutes: data.readInt16BE(2),
    msgId: data.readUInt16BE(4),
    serial: data.readUInt16BE(6),
    layout: data[8] === 1 ? '2019' : '2013',
    phoneBcd: data.toString('latin1', RECORD_FIXED_BYTES, bodyStart),
    body: data.subarray(bodyStart),
  };
}
