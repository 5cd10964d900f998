/**
 * 0x0107 terminal attributes (answer to 0x8107, SPEC §6). Layout (2013 text; 2019 widens model and id):
 * WORD terminal type, BYTE[5] maker id, BYTE[20|30] model, BYTE[7|30] terminal id, BCD[10] ICCID,
 * BYTE n + STRING hardware version, BYTE m + STRING firmware version, BYTE GNSS module, BYTE comm module.
 *
 * Pitfall SPEC §10.10: the 2019 maker id is 5 bytes per the text but some 2019 devices send 11, so the
 * widths are chosen by the total length: the first candidate layout that ends exactly at the body end.
 */
import { bcdDigits, writeBcd } from '../bcd.js';
import { decodeFixedText, decodeGbk, encodeGbk, writeFixedText } from '../text.js';
import { fail, ok, type DecodeError, type DecodeResult } from '../errors.js';
import type { HeaderLayout } from '../header.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';

interface AttributeWidths {
  version: '2013' | '2019';
  makerId: 5 | 11;
  model: number;
  terminalId: number;
}

const W2013: AttributeWidths = { version: '2013', makerId: 5, model: 20, terminalId: 7 };
const W2019: AttributeWidths = { version: '2019', makerId: 5, model: 30, terminalId: 30 };
const W2019_MAKER11: AttributeWidths = { version: '2019', makerId: 11, model: 30, terminalId: 30 };
/** Tried in order: the 2019 text's 5-byte maker id first, then the 11 bytes some devices send. */
const CANDIDATES: Record<HeaderLayout, readonly AttributeWidths[]> = {
  '2013': [W2013],
  '2019': [W2019, W2019_MAKER11],
};

const ICCID_BYTES = 10;

/** 0x0107 body fields; also the input of `encode0107` (simulator side). */
export interface TerminalAttributesInput {
  /** Bit field: bit0 passenger, bit1 dangerous goods, bit2 freight, bit3 taxi, bit6 video, bit7 split unit. */
  terminalType: number;
  makerId: string;
  model: string;
  terminalId: string;
  /** ICCID as hex digits (BCD; letters possible, never an error, SPEC §4.4). */
  iccid: string;
  hardwareVersion: string;
  firmwareVersion: string;
  /** Bits: 0 GPS, 1 BeiDou, 2 GLONASS, 3 Galileo. */
  gnssModule: number;
  /** Bits: 0 GPRS, 1 CDMA, 2 TD-SCDMA, 3 WCDMA, 4 CDMA2000, 5 TD-LTE, 7 other. */
  commModule: number;
}

export interface TerminalAttributes extends TerminalAttributesInput {
  /** Widths that fitted the body. */
  version: '2013' | '2019';
  makerIdWidth: 5 | 11;
}

function readWith(body: Buffer, w: AttributeWidths): DecodeResult<TerminalAttributes> {
  const makerAt = 2;
  const modelAt = makerAt + w.makerId;
  const idAt = modelAt + w.model;
  const iccidAt = idAt + w.terminalId;
  const hwLenAt = iccidAt + ICCID_BYTES;
  if (body.length < 2) return fail('BODY_SHORT', 0, 'terminal type');
  if (body.length < hwLenAt + 1) return fail('BODY_SHORT', Math.min(body.length, hwLenAt), `${w.version} fixed part`);
  const hwEnd = hwLenAt + 1 + body[hwLenAt];
  if (body.length < hwEnd + 1) return fail('BODY_SHORT', hwLenAt, 'hardware version');
  const fwEnd = hwEnd + 1 + body[hwEnd];
  if (body.length < fwEnd + 2) return fail('BODY_SHORT', hwEnd, 'firmware version / module attributes');
  if (body.length > fwEnd + 2) return fail('BODY_INVALID', fwEnd + 2, `${body.length - fwEnd - 2} bytes after the attributes`);
  return ok({
    terminalType: body.readUInt16BE(0),
    makerId: decodeFixedText(body, makerAt, modelAt),
    model: decodeFixedText(body, modelAt, idAt),
    terminalId: decodeFixedText(body, idAt, iccidAt),
    iccid: bcdDigits(body, iccidAt, hwLenAt),
    hardwareVersion: decodeGbk(body, hwLenAt + 1, hwEnd),
    firmwareVersion: decodeGbk(body, hwEnd + 1, fwEnd),
    gnssModule: body[fwEnd],
    commModule: body[fwEnd + 1],
    version: w.version,
    makerIdWidth: w.makerId,
  });
}

/** Control bytes in a version string or letters in the ICCID mean the widths were guessed wrong. */
function plausible(a: TerminalAttributes): boolean {
  if (!/^[0-9]+$/.test(a.iccid)) return false;
  return !/[\u0000-\u001f]/.test(a.hardwareVersion + a.firmwareVersion);
}

/**
 * 0x0107 terminal attributes; the error of the preferred layout is reported when none fits. When two
 * width candidates both end at the body end (rare, by coincidence of the length bytes), the plausible
 * reading wins (found by test/protocols/jt808/fuzz.test.ts).
 */
export function decode0107(body: Buffer, opts: BodyOptions = DEFAULT_BODY_OPTIONS): DecodeResult<TerminalAttributes> {
  let first: DecodeError | undefined;
  let fallback: DecodeResult<TerminalAttributes> | undefined;
  for (const w of CANDIDATES[opts.layout]) {
    const r = readWith(body, w);
    if (r.ok) {
      if (plausible(r.value)) return r;
      fallback ??= r;
      continue;
    }
    first ??= r;
  }
  return fallback ?? first!;
}

/** 0x0107 terminal attributes; `makerIdWidth` 11 reproduces the 2019 devices of SPEC §10.10. */
export function encode0107(a: TerminalAttributesInput, layout: HeaderLayout, makerIdWidth: 5 | 11 = 5): Buffer {
  const w = layout === '2019' ? { ...W2019, makerId: makerIdWidth } : W2013;
  const hw = encodeGbk(a.hardwareVersion);
  const fw = encodeGbk(a.firmwareVersion);
  if (hw.length > 255 || fw.length > 255) throw new RangeError('version strings are limited to 255 bytes');
  const fixed = 2 + w.makerId + w.model + w.terminalId + ICCID_BYTES;
  const out = Buffer.alloc(fixed + 1 + hw.length + 1 + fw.length + 2);
  out.writeUInt16BE(a.terminalType, 0);
  let at = 2;
  writeFixedText(out, at, w.makerId, a.makerId);
  at += w.makerId;
  writeFixedText(out, at, w.model, a.model);
  at += w.model;
  writeFixedText(out, at, w.terminalId, a.terminalId);
  at += w.terminalId;
  writeBcd(out, at, a.iccid, ICCID_BYTES);
  at += ICCID_BYTES;
  out[at++] = hw.length;
  at += hw.copy(out, at);
  out[at++] = fw.length;
  at += fw.copy(out, at);
  out.writeUInt8(a.gnssModule, at);
  out.writeUInt8(a.commModule, at + 1);
  return out;
}
