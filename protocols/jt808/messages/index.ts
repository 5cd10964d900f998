/**
 * Body dispatcher: message id → decoder (catalogue SPEC §6, bodies §7), the names of the catalogue and
 * the minimum reply table of SPEC §9.
 *
 * `decodeBody` takes a complete body: for a subpackaged message the reassembled one (subpackage.ts),
 * never a single fragment (SPEC §8).
 */
import { fail, ok, type DecodeResult } from '../errors.js';
import type { Header } from '../header.js';
import { decode0107 } from './attributes.js';
import { decode0001, decode0002, decode0003, decode0004, decode0005, decode8001, decode8003, decode8004, decodeEmpty } from './general.js';
import { decode0200, decode0201, decode0704, decode8202 } from './location.js';
import { decode0800, decode0801, decode8800 } from './multimedia.js';
import { DEFAULT_BODY_OPTIONS, type BodyOptions } from './options.js';
import { decode0104, decode8103, decode8106 } from './params.js';
import { decode0900, decode8900 } from './passthrough.js';
import { decode0100, decode0102, decode8100 } from './register.js';
import { decode8300 } from './text.js';

export * from './options.js';
export * from './general.js';
export * from './register.js';
export * from './params.js';
export * from './attributes.js';
export * from './location.js';
export * from './multimedia.js';
export * from './passthrough.js';
export * from './text.js';

/** Message names of the SPEC §6 catalogue (T = terminal→platform, P = platform→terminal). */
export const MESSAGE_NAMES: Readonly<Record<number, string>> = {
  0x0001: 'terminal general response',
  0x8001: 'platform general response',
  0x0002: 'heartbeat',
  0x0003: 'logout',
  0x0004: 'server time query',
  0x8004: 'server time',
  0x0005: 'terminal resend request',
  0x8003: 'platform resend request',
  0x0100: 'register',
  0x8100: 'register response',
  0x0102: 'authenticate',
  0x8103: 'set parameters',
  0x8104: 'query all parameters',
  0x8106: 'query parameters',
  0x0104: 'parameter query response',
  0x8105: 'terminal control',
  0x8107: 'query attributes',
  0x0107: 'attributes response',
  0x0200: 'location report',
  0x8201: 'position query',
  0x0201: 'position query response',
  0x8202: 'temporary tracking',
  0x8203: 'manual alarm confirmation',
  0x8204: 'link test',
  0x8300: 'text message',
  0x0704: 'batch location upload',
  0x0800: 'multimedia event',
  0x0801: 'multimedia data',
  0x8800: 'multimedia upload response',
  0x8801: 'take photo now',
  0x0805: 'take photo response',
  0x0900: 'uplink pass-through',
  0x8900: 'downlink pass-through',
  0x0901: 'compressed report',
};

/** Display name of a message id, e.g. for the analyser: "0x0200 location report", "0xe001 vendor uplink". */
export function messageName(msgId: number): string {
  const hex = `0x${msgId.toString(16).padStart(4, '0')}`;
  const name = MESSAGE_NAMES[msgId];
  if (name) return `${hex} ${name}`;
  if (msgId >= 0xe000) return `${hex} vendor ${msgId >= 0xf000 ? 'downlink' : 'uplink'}`;
  return `${hex} unknown`;
}

type OkValue<F> = F extends (...args: never[]) => DecodeResult<infer T> ? T : never;
type Tagged<K extends string, F> = { kind: K } & OkValue<F>;

/** A decoded body: the decoder's value plus `kind`, the discriminant. */
export type DecodedBody =
  | Tagged<'terminalResponse', typeof decode0001>
  | Tagged<'platformResponse', typeof decode8001>
  | Tagged<'heartbeat', typeof decode0002>
  | Tagged<'logout', typeof decode0003>
  | Tagged<'timeQuery', typeof decode0004>
  | Tagged<'serverTime', typeof decode8004>
  | Tagged<'terminalResendRequest', typeof decode0005>
  | Tagged<'platformResendRequest', typeof decode8003>
  | Tagged<'register', typeof decode0100>
  | Tagged<'registerResponse', typeof decode8100>
  | Tagged<'authenticate', typeof decode0102>
  | Tagged<'setParams', typeof decode8103>
  | Tagged<'queryAllParams', typeof decodeEmpty>
  | Tagged<'queryParams', typeof decode8106>
  | Tagged<'paramsResponse', typeof decode0104>
  | Tagged<'queryAttributes', typeof decodeEmpty>
  | Tagged<'attributes', typeof decode0107>
  | Tagged<'location', typeof decode0200>
  | Tagged<'positionQuery', typeof decodeEmpty>
  | Tagged<'positionQueryResponse', typeof decode0201>
  | Tagged<'temporaryTracking', typeof decode8202>
  | Tagged<'linkTest', typeof decodeEmpty>
  | Tagged<'textMessage', typeof decode8300>
  | Tagged<'batchLocation', typeof decode0704>
  | Tagged<'mediaEvent', typeof decode0800>
  | Tagged<'mediaData', typeof decode0801>
  | Tagged<'mediaResponse', typeof decode8800>
  | Tagged<'uplinkPassThrough', typeof decode0900>
  | Tagged<'downlinkPassThrough', typeof decode8900>;

export type BodyKind = DecodedBody['kind'];

function tag<K extends string, T extends object>(kind: K, r: DecodeResult<T>): DecodeResult<{ kind: K } & T> {
  return r.ok ? ok({ kind, ...r.value }) : r;
}

/**
 * Decodes a message body by `header.msgId`. Options default to the header's layout, +8 h terminal
 * clock; explicit `opts` win (e.g. the session's configured `registerVersion`).
 * UNSUPPORTED for an encrypted body or an id without a decoder: the gateway answers 0x8001 result 3.
 */
export function decodeBody(header: Header, body: Buffer, opts?: Partial<BodyOptions>): DecodeResult<DecodedBody> {
  if (header.encryption !== 0) return fail('UNSUPPORTED', 0, `encrypted body (method ${header.encryption})`);
  const o: BodyOptions = { ...DEFAULT_BODY_OPTIONS, layout: header.layout, ...opts };
  switch (header.msgId) {
    case 0x0001: return tag('terminalResponse', decode0001(body, o));
    case 0x8001: return tag('platformResponse', decode8001(body, o));
    case 0x0002: return tag('heartbeat', decode0002(body, o));
    case 0x0003: return tag('logout', decode0003(body, o));
    case 0x0004: return tag('timeQuery', decode0004(body, o));
    case 0x8004: return tag('serverTime', decode8004(body, o));
    case 0x0005: return tag('terminalResendRequest', decode0005(body, o));
    case 0x8003: return tag('platformResendRequest', decode8003(body, o));
    case 0x0100: return tag('register', decode0100(body, o));
    case 0x8100: return tag('registerResponse', decode8100(body, o));
    case 0x0102: return tag('authenticate', decode0102(body, o));
    case 0x8103: return tag('setParams', decode8103(body, o));
    case 0x8104: return tag('queryAllParams', decodeEmpty(body, o));
    case 0x8106: return tag('queryParams', decode8106(body, o));
    case 0x0104: return tag('paramsResponse', decode0104(body, o));
    case 0x8107: return tag('queryAttributes', decodeEmpty(body, o));
    case 0x0107: return tag('attributes', decode0107(body, o));
    case 0x0200: return tag('location', decode0200(body, o));
    case 0x8201: return tag('positionQuery', decodeEmpty(body, o));
    case 0x0201: return tag('positionQueryResponse', decode0201(body, o));
    case 0x8202: return tag('temporaryTracking', decode8202(body, o));
    case 0x8204: return tag('linkTest', decodeEmpty(body, o));
    case 0x8300: return tag('textMessage', decode8300(body, o));
    case 0x0704: return tag('batchLocation', decode0704(body, o));
    case 0x0800: return tag('mediaEvent', decode0800(body, o));
    case 0x0801: return tag('mediaData', decode0801(body, o));
    case 0x8800: return tag('mediaResponse', decode8800(body, o));
    case 0x0900: return tag('uplinkPassThrough', decode0900(body, o));
    case 0x8900: return tag('downlinkPassThrough', decode8900(body, o));
    default: return fail('UNSUPPORTED', 0, `no decoder for ${messageName(header.msgId)}`);
  }
}

/**
 * What the platform sends for an inbound (terminal → platform) message, SPEC §9:
 * - 'general': 0x8001 (result 0; 3 when decodeBody says UNSUPPORTED; 4 may confirm alarms);
 * - 'register': 0x8100; 'time': 0x8004 (UTC);
 * - 'multimedia': 0x8001 for every 0x0801 fragment, then 0x8800 after the last one or the timeout (§8);
 * - 'resend': 0x0005, resend the listed downlink fragments as originally sent;
 * - 'none': the message is itself a reply (correlate by reply serial + id), or a platform id.
 */
export type ReplyKind = 'general' | 'register' | 'time' | 'multimedia' | 'resend' | 'none';

/** Uplinks that answer a platform request (SPEC §9 "nothing" row). */
const UPLINK_REPLIES: ReadonlySet<number> = new Set([0x0001, 0x0104, 0x0107, 0x0201, 0x0302, 0x0500, 0x0805]);

export function replyFor(msgId: number): ReplyKind {
  if (msgId === 0x0100) return 'register';
  if (msgId === 0x0004) return 'time';
  if (msgId === 0x0801) return 'multimedia';
  if (msgId === 0x0005) return 'resend';
  if (UPLINK_REPLIES.has(msgId)) return 'none';
  // Platform-originated ids (0x8000–0x8FFF, 2019 vendor downlinks 0xF000–0xFFFF) are never answered by us.
  if ((msgId >= 0x8000 && msgId <= 0x8fff) || msgId >= 0xf000) return 'none';
  return 'general';
}
