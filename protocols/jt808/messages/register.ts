/**
 * Registration and authentication: SPEC §7.5 (0x0100), §7.6 (0x8100), §7.7 (0x0102); fixed-width
 * text per §5.2, the 2011/2013 width guess per §5.3.
 *
 * Decoded Buffers are copies (registration is rare; values may be kept in the session).
 */
import { decodeFixedText, decodeGbk, encodeGbk, writeFixedText } from '../text.js';
import { fail, ok, type DecodeResult } from '../errors.js';
import type { HeaderLayout } from '../header.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

export type RegisterVersion = '2011' | '2013' | '2019';

interface RegisterWidths {
  makerId: number;
  model: number;
  terminalId: number;
}

/** Fixed-width fields of 0x0100 per version (SPEC §7.5). */
export const REGISTER_WIDTHS: Readonly<Record<RegisterVersion, RegisterWidths>> = {
  '2011': { makerId: 5, model: 8, terminalId: 7 },
  '2013': { makerId: 5, model: 20, terminalId: 7 },
  '2019': { makerId: 11, model: 30, terminalId: 30 },
};

/** Bytes before the plate: province, city, the three text fields, plate colour. 25 / 37 / 76. */
export function registerFixedLength(version: RegisterVersion): number {
  const w = REGISTER_WIDTHS[version];
  return 4 + w.makerId + w.model + w.terminalId + 1;
}

/** Input of `encode0100`; the fields a decoded registration shares. */
export interface RegistrationInput {
  /** GB/T 2260 province (first 2 digits); 0 = platform default. */
  province: number;
  /** GB/T 2260 city/county (last 4 digits). */
  city: number;
  /** Fixed-width text with 0x00/space padding stripped on both ends (ASCII '0' kept, SPEC §5.2). */
  makerId: string;
  model: string;
  terminalId: string;
  /** JT/T 415 / JT/T 697.7; 0 = no plate (the last field is then the VIN). */
  plateColor: number;
  plate?: string;
  /** Present only when plateColor is 0. */
  vin?: string;
}

/** 0x0100 register, decoded. */
export interface Registration extends RegistrationInput {
  /** GBK plate; '' when plateColor is 0. */
  plate: string;
  /** Which body layout was read (2019 from the header; 2011 vs 2013 guessed or configured). */
  version: RegisterVersion;
  /** The fixed-width fields exactly as sent, padding included (SPEC §5.2: padding styles vary). */
  raw: { makerId: Buffer; model: Buffer; terminalId: Buffer };
}

/**
 * A plate-colour byte is a small number (JT/T 697.7: 0–5, 9, 91–94); text and GBK lead bytes are not.
 * Used only to break the 2011/2013 tie.
 */
function plausiblePlateColor(b: number): boolean {
  return b < 0x20 || (b >= 91 && b <= 94);
}

/**
 * 2011 vs 2013 for a body whose header cannot tell (SPEC §5.3). Below 37 bytes only 2011 fits. From 37
 * bytes the go-jt808 rule says 2013, which misreads a 2011 terminal sending a VIN; so when the 2013
 * plate-colour position holds text while the 2011 one holds a colour, it is 2011.
 */
export function guessRegisterVersion(body: Uint8Array, layout: HeaderLayout): RegisterVersion {
  if (layout === '2019') return '2019';
  const fixed2013 = registerFixedLength('2013');
  if (body.length < fixed2013) return '2011';
  const c2011 = plausiblePlateColor(body[registerFixedLength('2011') - 1]);
  const c2013 = plausiblePlateColor(body[fixed2013 - 1]);
  return c2011 && !c2013 ? '2011' : '2013';
}

/**
 * 0x0100 register. The version comes from `opts.registerVersion` when configured (per device model,
 * SPEC §5.3), otherwise 2019 from the header layout, otherwise the 2011/2013 guess.
 */
export function decode0100(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<Registration> {
  const version = opts.registerVersion ?? guessRegisterVersion(body, opts.layout);
  const w = REGISTER_WIDTHS[version];
  const fixed = registerFixedLength(version);
  if (body.length < 4) return fail('BODY_SHORT', 0, 'province / city');
  if (body.length < fixed) return fail('BODY_SHORT', 4, `${version} fixed part needs ${fixed} bytes`);
  const makerAt = 4;
  const modelAt = makerAt + w.makerId;
  const idAt = modelAt + w.model;
  const colorAt = idAt + w.terminalId;
  const plateColor = body[colorAt];
  const plateText = decodeFixedText(body, fixed, body.length);
  const reg: Registration = {
    province: body.readUInt16BE(0),
    city: body.readUInt16BE(2),
    makerId: decodeFixedText(body, makerAt, modelAt),
    model: decodeFixedText(body, modelAt, idAt),
    terminalId: decodeFixedText(body, idAt, colorAt),
    plateColor,
    plate: plateColor === 0 ? '' : plateText,
    version,
    raw: {
      makerId: Buffer.from(body.subarray(makerAt, modelAt)),
      model: Buffer.from(body.subarray(modelAt, idAt)),
      terminalId: Buffer.from(body.subarray(idAt, colorAt)),
    },
  };
  if (plateColor === 0) reg.vin = plateText;
  return ok(reg);
}

/**
 * 0x0100 register (simulator side). Text is right-padded with 0x00, except the 2019 model, which the
 * 2019 text left-pads (SPEC §5.2); `modelPad` reproduces terminals that do otherwise.
 */
export function encode0100(reg: RegistrationInput, version: RegisterVersion, opts: { modelPad?: 'left' | 'right' } = {}): Buffer {
  const w = REGISTER_WIDTHS[version];
  const fixed = registerFixedLength(version);
  const plate = encodeGbk(reg.plateColor === 0 ? (reg.vin ?? reg.plate ?? '') : (reg.plate ?? ''));
  const out = Buffer.alloc(fixed + plate.length);
  out.writeUInt16BE(reg.province, 0);
  out.writeUInt16BE(reg.city, 2);
  let at = 4;
  writeFixedText(out, at, w.makerId, reg.makerId, 'right');
  at += w.makerId;
  writeFixedText(out, at, w.model, reg.model, opts.modelPad ?? (version === '2019' ? 'left' : 'right'));
  at += w.model;
  writeFixedText(out, at, w.terminalId, reg.terminalId, 'right');
  at += w.terminalId;
  out.writeUInt8(reg.plateColor, at);
  plate.copy(out, fixed);
  return out;
}

/** Results of 0x8100 (SPEC §7.6). */
export const RegisterResult = {
  success: 0,
  vehicleAlreadyRegistered: 1,
  vehicleNotInDatabase: 2,
  terminalAlreadyRegistered: 3,
  terminalNotInDatabase: 4,
} as const;

/** 0x8100 register response. */
export interface RegisterResponse {
  replySerial: number;
  result: number;
  /** Present when result is 0; also shown when a non-standard sender adds one to a failure (EMQX). */
  authCode?: string;
}

/** 0x8100 register response: the auth code is written only when result is 0 (SPEC §7.6, §11). */
export function encode8100(r: RegisterResponse): Buffer {
  const code = r.result === 0 ? encodeGbk(r.authCode ?? '') : Buffer.alloc(0);
  const out = Buffer.allocUnsafe(3 + code.length);
  out.writeUInt16BE(r.replySerial, 0);
  out.writeUInt8(r.result, 2);
  code.copy(out, 3);
  return out;
}

/** 0x8100 register response. */
export function decode8100(body: Buffer, _opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<RegisterResponse> {
  if (body.length < 2) return fail('BODY_SHORT', 0, 'reply serial');
  if (body.length < 3) return fail('BODY_SHORT', 2, 'result');
  const r: RegisterResponse = { replySerial: body.readUInt16BE(0), result: body[2] };
  if (r.result === 0 || body.length > 3) r.authCode = decodeGbk(body, 3, body.length);
  return ok(r);
}

/** 0x0102 authenticate. */
export interface Authentication {
  /** Exactly as sent (no trimming: the gateway compares it with the code it issued). */
  authCode: string;
  /** 2019 only: BYTE[15] IMEI, padding stripped. */
  imei?: string;
  /** 2019 only: BYTE[20] software version, padding stripped. */
  softwareVersion?: string;
  /** Bytes after the 2019 fields (not in the standard). */
  extra?: Buffer;
}

const IMEI_WIDTH = 15;
const SOFTWARE_VERSION_WIDTH = 20;

/**
 * 0x0102 authenticate (SPEC §7.7). 2011/2013: the whole body is the code. 2019: BYTE n, code[n],
 * BYTE[15] IMEI, BYTE[20] software version; n may be 0.
 */
export function decode0102(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<Authentication> {
  if (opts.layout !== '2019') return ok({ authCode: decodeGbk(body, 0, body.length) });
  if (body.length < 1) return fail('BODY_SHORT', 0, 'auth code length');
  const n = body[0];
  const imeiAt = 1 + n;
  const versionAt = imeiAt + IMEI_WIDTH;
  const end = versionAt + SOFTWARE_VERSION_WIDTH;
  if (body.length < imeiAt) return fail('BODY_SHORT', 1, `auth code of ${n} bytes`);
  if (body.length < versionAt) return fail('BODY_SHORT', imeiAt, 'IMEI');
  if (body.length < end) return fail('BODY_SHORT', versionAt, 'software version');
  const auth: Authentication = {
    authCode: decodeGbk(body, 1, imeiAt),
    imei: decodeFixedText(body, imeiAt, versionAt),
    softwareVersion: decodeFixedText(body, versionAt, end),
  };
  if (body.length > end) auth.extra = Buffer.from(body.subarray(end));
  return ok(auth);
}

/** 0x0102 authenticate (simulator side); IMEI and software version are right-padded with 0x00. */
export function encode0102(auth: { authCode: string; imei?: string; softwareVersion?: string }, layout: HeaderLayout): Buffer {
  const code = encodeGbk(auth.authCode);
  if (layout !== '2019') return code;
  if (code.length > 255) throw new RangeError(`auth code of ${code.length} bytes exceeds 255`);
  const out = Buffer.alloc(1 + code.length + IMEI_WIDTH + SOFTWARE_VERSION_WIDTH);
  out[0] = code.length;
  code.copy(out, 1);
  writeFixedText(out, 1 + code.length, IMEI_WIDTH, auth.imei ?? '', 'right');
  writeFixedText(out, 1 + code.length + IMEI_WIDTH, SOFTWARE_VERSION_WIDTH, auth.softwareVersion ?? '', 'right');
  return out;
}
