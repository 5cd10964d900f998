/**
 * How the gateway treats each uplink message id (SPEC §6, §9's minimum reply table).
 */
export const RESULT_OK = 0;
export const RESULT_FAILURE = 1;
export const RESULT_MESSAGE_ERROR = 2;
export const RESULT_UNSUPPORTED = 3;

/**
 * - register / auth: session set-up (0x0100, 0x0102)
 * - link: heartbeat, logout, time query: answered even before authentication
 * - data: stored and answered with 0x8001 (positions, batches, media, pass-through, …)
 * - reply: a terminal's answer to a downlink: stored, never answered
 * - unknown: answered "not supported"
 */
export type MessageClass = 'register' | 'auth' | 'link' | 'data' | 'reply' | 'unknown';

const CLASSES = new Map<number, MessageClass>([
  [0x0100, 'register'],
  [0x0102, 'auth'],
  [0x0002, 'link'],
  [0x0003, 'link'],
  [0x0004, 'link'],
  [0x0200, 'data'],
  [0x0704, 'data'],
  [0x0800, 'data'],
  [0x0801, 'data'],
  [0x0900, 'data'],
  [0x0901, 'data'],
  [0x0108, 'data'],
  [0x0702, 'data'],
  [0x0705, 'data'],
  [0x0301, 'data'],
  [0x0303, 'data'],
  [0x0001, 'reply'],
  [0x0104, 'reply'],
  [0x0107, 'reply'],
  [0x0201, 'reply'],
  [0x0302, 'reply'],
  [0x0500, 'reply'],
  [0x0805, 'reply'],
]);

export function classify(msgId: number): MessageClass {
  return CLASSES.get(msgId) ?? 'unknown';
}
