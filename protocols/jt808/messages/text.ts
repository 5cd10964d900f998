/**
 * 0x8300 text message, SPEC §7.13. 2013: `BYTE flag, STRING text`. 2019: `BYTE flag, BYTE type,
 * STRING text`. Text is GBK (SPEC §5.2, §10.14), at most 1024 bytes; a body over 1023 bytes must be
 * subpackaged by the caller.
 */
import { decodeGbk, encodeGbk } from '../text.js';
import { fail, ok, type DecodeResult } from '../errors.js';
import type { HeaderLayout } from '../header.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

/**
 * Flag bits. 2013: bit0 urgent. 2019: bits 0–1 = 01 service, 10 urgent, 11 notice. Both: bit2 show on
 * the display, bit3 TTS read-out, bit5 0 = navigation info / 1 = CAN fault code; bit4 (2013 only)
 * advertising screen.
 */
export const TextFlag = {
  urgent2013: 0x01,
  service2019: 0x01,
  urgent2019: 0x02,
  notice2019: 0x03,
  display: 0x04,
  tts: 0x08,
  advertisingScreen: 0x10,
  canFaultCode: 0x20,
} as const;

/** 2019 text type. */
export const TextType = { notice: 1, service: 2 } as const;

export const MAX_TEXT_BYTES = 1024;

export interface TextMessage {
  flag: number;
  /** 2019 only: 1 notice, 2 service. */
  type?: number;
  text: string;
}

/** 0x8300 text message; `type` defaults to 1 (notice) in 2019 and is not sent in 2013. */
export function encode8300(m: TextMessage, layout: HeaderLayout): Buffer {
  const text = encodeGbk(m.text);
  if (text.length > MAX_TEXT_BYTES) throw new RangeError(`text of ${text.length} GBK bytes exceeds ${MAX_TEXT_BYTES}`);
  const head = layout === '2019' ? 2 : 1;
  const out = Buffer.allocUnsafe(head + text.length);
  out.writeUInt8(m.flag, 0);
  if (head === 2) out.writeUInt8(m.type ?? TextType.notice, 1);
  text.copy(out, head);
  return out;
}

/** 0x8300 text message (layout from the header). */
export function decode8300(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<TextMessage> {
  if (body.length < 1) return fail('BODY_SHORT', 0, 'flag');
  if (opts.layout !== '2019') return ok({ flag: body[0], text: decodeGbk(body, 1, body.length) });
  if (body.length < 2) return fail('BODY_SHORT', 1, 'text type');
  return ok({ flag: body[0], type: body[1], text: decodeGbk(body, 2, body.length) });
}
