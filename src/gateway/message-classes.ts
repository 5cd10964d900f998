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

// A switch, not a Map: it runs for every frame, and V8 compiles the cases to a few compares where
// Map.get hashes the key.
export function classify(msgId: number): MessageClass {
  switch (msgId) {
    case 0x0100:
      return 'register';
    case 0x0102:
      return 'auth';
    case 0x0002:
    case 0x0003:
    case 0x0004:
      return 'link';
    case 0x0200:
    case 0x0704:
    case 0x0800:
    case 0x0801:
    case 0x0900:
    case 0x0901:
    case 0x0108:
    case 0x0702:
    case 0x0705:
    case 0x0301:
    case 0x0303:
      return 'data';
    case 0x0001:
    case 0x0104:
    case 0x0107:
    case 0x0201:
    case 0x0302:
    case 0x0500:
    case 0x0805:
      return 'reply';
    default:
      return 'unknown';
  }
}
