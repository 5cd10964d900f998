/**
 * Multimedia: SPEC §7.15 — 0x0800 event, 0x0801 data, 0x8800 upload response; fragment handling §8.
 *
 * 2011 vs 2013 cannot be told from the header (SPEC §1, §5.3); the 2011 bodies of 0x0801/0x8800 are
 * read only when the device is configured as 2011 (`opts.registerVersion === '2011'`).
 * Decoded Buffers are copies (media data outlives the frame).
 */
import { fail, ok, type DecodeResult } from '../errors.js';
import { LOCATION_BASIC_LENGTH, readLocation, type Location } from './location.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

/** 0x0800 / the common 8-byte head of 0x0801. */
export interface MediaHeader {
  /** > 0 per the standard (not enforced: kept as sent). */
  mediaId: number;
  /** 0 image, 1 audio, 2 video. */
  mediaType: number;
  /** 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV. */
  format: number;
  /** 0 platform command, 1 timed, 2 robbery alarm, 3 collision/rollover, 4 door open, 5 door closed, 6 door + speed, 7 distance. */
  event: number;
  channel: number;
}

export type MediaEvent = MediaHeader & { extra?: Buffer };

/** 0x0801 multimedia data. */
export interface MediaData extends MediaHeader {
  /** 2013/2019: the 28-byte 0x0200 basic part where the capture started; absent in 2011. */
  location?: Location;
  /** 2011 only: packet total and packet id carried in the body (SPEC §7.15). */
  totalPackets?: number;
  packetId?: number;
  /** The media bytes (a copy). */
  data: Buffer;
}

export const MEDIA_HEADER_LENGTH = 8;
/** 0x0801 (2013/2019) bytes before the media data. */
export const MEDIA_DATA_PREFIX_LENGTH = MEDIA_HEADER_LENGTH + LOCATION_BASIC_LENGTH;
const MEDIA_2011_PREFIX_LENGTH = MEDIA_HEADER_LENGTH + 8;

function readMediaHeader(body: Buffer): DecodeResult<MediaHeader> {
  if (body.length < 4) return fail('BODY_SHORT', 0, 'media id');
  if (body.length < MEDIA_HEADER_LENGTH) return fail('BODY_SHORT', 4, 'type / format / event / channel');
  return ok({ mediaId: body.readUInt32BE(0), mediaType: body[4], format: body[5], event: body[6], channel: body[7] });
}

function writeMediaHeader(h: MediaHeader, out: Buffer): void {
  out.writeUInt32BE(h.mediaId, 0);
  out.writeUInt8(h.mediaType, 4);
  out.writeUInt8(h.format, 5);
  out.writeUInt8(h.event, 6);
  out.writeUInt8(h.channel, 7);
}

/** 0x0800 multimedia event (answer 0x8001). */
export function decode0800(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<MediaEvent> {
  const h = readMediaHeader(body);
  if (!h.ok || body.length === MEDIA_HEADER_LENGTH) return h;
  return ok({ ...h.value, extra: Buffer.from(body.subarray(MEDIA_HEADER_LENGTH)) });
}

/** 0x0800 multimedia event (simulator side). */
export function encode0800(h: MediaHeader): Buffer {
  const out = Buffer.allocUnsafe(MEDIA_HEADER_LENGTH);
  writeMediaHeader(h, out);
  return out;
}

/**
 * 0x0801 multimedia data, reassembled (SPEC §8: only the first fragment carries the head; decode the
 * concatenated body, not a fragment). 2013/2019: head + 28-byte location + data. 2011: head +
 * DWORD total packets + DWORD packet id + data.
 */
export function decode0801(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<MediaData> {
  const h = readMediaHeader(body);
  if (!h.ok) return h;
  if (opts.registerVersion === '2011') {
    if (body.length < MEDIA_2011_PREFIX_LENGTH) return fail('BODY_SHORT', MEDIA_HEADER_LENGTH, 'total packets / packet id');
    return ok({
      ...h.value,
      totalPackets: body.readUInt32BE(8),
      packetId: body.readUInt32BE(12),
      data: Buffer.from(body.subarray(MEDIA_2011_PREFIX_LENGTH)),
    });
  }
  if (body.length < MEDIA_DATA_PREFIX_LENGTH) return fail('BODY_SHORT', MEDIA_HEADER_LENGTH, 'location');
  const loc = readLocation(body, MEDIA_HEADER_LENGTH, MEDIA_DATA_PREFIX_LENGTH, opts.utcOffsetMinutes);
  if (!loc.ok) return loc;
  return ok({ ...h.value, location: loc.value, data: Buffer.from(body.subarray(MEDIA_DATA_PREFIX_LENGTH)) });
}

/**
 * 0x0801 multimedia data (simulator side, 2013/2019): `location` is a 0x0200 body of exactly 28 bytes
 * (encode0200 without extras). The result usually exceeds one frame: send it with encodeSubpackaged.
 */
export function encode0801(h: MediaHeader, location: Uint8Array, data: Uint8Array): Buffer {
  if (location.length !== LOCATION_BASIC_LENGTH) throw new RangeError(`0x0801 location must be ${LOCATION_BASIC_LENGTH} bytes, got ${location.length}`);
  const out = Buffer.allocUnsafe(MEDIA_DATA_PREFIX_LENGTH + data.length);
  writeMediaHeader(h, out);
  out.set(location, MEDIA_HEADER_LENGTH);
  out.set(data, MEDIA_DATA_PREFIX_LENGTH);
  return out;
}

/** 0x8800 multimedia upload response. */
export interface MediaResponse {
  mediaId: number;
  /** Fragment indexes to resend; empty = everything received (a 4-byte body). */
  missing: number[];
  /** 2011 only: serial of the 0x0801 being answered. */
  replySerial?: number;
  extra?: Buffer;
}

/** The standard caps the resend list at 125 indexes (SPEC §7.15). */
export const MAX_MEDIA_RESEND = 125;

/**
 * 0x8800 multimedia upload response: `DWORD media id` alone when everything arrived, else
 * `BYTE n, WORD index × n`. 2011 puts `WORD reply serial` first (give `version: '2011'` and `replySerial`).
 */
export function encode8800(r: { mediaId: number; missing?: readonly number[]; replySerial?: number }, version: '2011' | '2013' | '2019' = '2013'): Buffer {
  const missing = r.missing ?? [];
  if (missing.length > MAX_MEDIA_RESEND) throw new RangeError(`${missing.length} missing fragments exceed ${MAX_MEDIA_RESEND}`);
  const lead = version === '2011' ? 2 : 0;
  if (lead && r.replySerial === undefined) throw new RangeError('2011 0x8800 needs replySerial');
  const out = Buffer.allocUnsafe(lead + 4 + (missing.length ? 1 + 2 * missing.length : 0));
  if (lead) out.writeUInt16BE(r.replySerial!, 0);
  out.writeUInt32BE(r.mediaId, lead);
  if (missing.length) {
    out[lead + 4] = missing.length;
    missing.forEach((m, i) => out.writeUInt16BE(m, lead + 5 + 2 * i));
  }
  return out;
}

/** 0x8800 multimedia upload response (2011 layout when `opts.registerVersion === '2011'`). */
export function decode8800(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<MediaResponse> {
  const lead = opts.registerVersion === '2011' ? 2 : 0;
  if (body.length < lead) return fail('BODY_SHORT', 0, 'reply serial');
  if (body.length < lead + 4) return fail('BODY_SHORT', lead, 'media id');
  const r: MediaResponse = lead ? { replySerial: body.readUInt16BE(0), mediaId: 0, missing: [] } : { mediaId: 0, missing: [] };
  r.mediaId = body.readUInt32BE(lead);
  const countAt = lead + 4;
  if (body.length === countAt) return ok(r);
  const n = body[countAt];
  const end = countAt + 1 + 2 * n;
  if (body.length < end) return fail('BODY_SHORT', body.length, `${n} fragment indexes declared`);
  for (let i = 0; i < n; i++) r.missing.push(body.readUInt16BE(countAt + 1 + 2 * i));
  if (body.length > end) r.extra = Buffer.from(body.subarray(end));
  return ok(r);
}
