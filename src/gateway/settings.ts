/** Maps the validated configuration onto the gateway's settings (units the gateway uses: ms). */
import type { Config } from '../config.js';
import type { GatewaySettings } from './types.js';

/** A peer that does not read its answers for this long is disconnected. */
const DRAIN_TIMEOUT_MS = 30_000;

export function gatewaySettings(cfg: Config): GatewaySettings {
  return {
    requireAuth: cfg.requireAuth,
    ack: cfg.ack,
    checksum: cfg.checksum,
    maxFrameBytes: cfg.maxFrameBytes,
    idleTimeoutMs: cfg.heartbeatS * cfg.idleFactor * 1000,
    authTimeoutMs: cfg.authTimeoutS * 1000,
    utcOffsetMinutes: cfg.utcOffsetMin,
    subpackageTimeoutMs: cfg.subpackageTimeoutS * 1000,
    subpackageMaxBytes: cfg.subpackageMaxBytes,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  };
}
