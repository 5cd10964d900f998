/**
 * Pass-through: SPEC §7.14 — 0x0900 uplink (answer 0x8001) and 0x8900 downlink (answer 0x0001):
 * `BYTE type`, then opaque content to the end of the body. Vendors carry OBD/CAN/TPMS/BLE payloads
 * here; the codec keeps them raw. `content` is a copy.
 */
import { fail, ok, type DecodeResult } from '../errors.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

/** Pass-through types named by the standard; 0xF0–0xFF are user defined. */
export const PassThroughType = {
  gnssDetail: 0x00,
  icCard: 0x0b,
  serialPort1: 0x41,
  serialPort2: 0x42,
} as const;

export interface PassThrough {
  type: number;
  content: Buffer;
}

function decodePassThrough(body: Buffer): DecodeResult<PassThrough> {
  if (body.length < 1) return fail('BODY_SHORT', 0, 'type');
  return ok({ type: body[0], content: Buffer.from(body.subarray(1)) });
}

function encodePassThrough(p: { type: number; content: Uint8Array }): Buffer {
  const out = Buffer.allocUnsafe(1 + p.content.length);
  out.writeUInt8(p.type, 0);
  out.set(p.content, 1);
  return out;
}

/** 0x0900 uplink pass-through. */
export function decode0900(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<PassThrough> {
  return decodePassThrough(body);
}

/** 0x0900 uplink pass-through (simulator side). */
export function encode0900(p: { type: number; content: Uint8Array }): Buffer {
  return encodePassThrough(p);
}

/** 0x8900 downlink pass-through (e.g. type 0xF0 text commands, which not every terminal supports, §7.13). */
export function decode8900(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<PassThrough> {
  return decodePassThrough(body);
}

/** 0x8900 downlink pass-through. */
export function encode8900(p: { type: number; content: Uint8Array }): Buffer {
  return encodePassThrough(p);
}
