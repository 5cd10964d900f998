/** Maps the validated configuration onto the gateway's settings (units the gateway uses: ms). */
import type { Config } from '../config.js';
import type { GatewaySettings } from './types.js';

/** A peer that does not read its answers for this long is disconnected. */
const DRAIN_TIMEOUT_MS = 30_000;
/** Subpackage bytes held for all terminals together (SECURITY.md): 256 MiB, or one terminal's share if larger. */
const SUBPACKAGE_TOTAL_BYTES = 256 * 2 ** 20;
/** Wrong auth codes (0x0102) one connection may present before it is closed (SECURITY.md). */
const MAX_AUTH_FAILURES = 5;

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
    subpackageTotalBytes: Math.max(SUBPACKAGE_TOTAL_BYTES, cfg.subpackageMaxBytes),
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    maxAuthFailures: MAX_AUTH_FAILURES,
  };
}
