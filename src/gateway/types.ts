/**
 * What the gateway needs from its neighbours, as narrow interfaces (tests pass fakes or real parts).
 */
import type { Logger } from 'pino';

export interface GatewaySettings {
  requireAuth: boolean;
  ack: 'durable' | 'received';
  checksum: 'strict' | 'lenient';
  maxFrameBytes: number;
  /** Close a connection silent for this long (heartbeat interval × factor). */
  idleTimeoutMs: number;
  /** Close a connection not authenticated within this time (only when requireAuth). */
  authTimeoutMs: number;
  utcOffsetMinutes: number;
  subpackageTimeoutMs: number;
  /** Subpackage bytes held for one terminal while reassembling. */
  subpackageMaxBytes: number;
  /** Subpackage bytes held for all terminals together; past it the least recently active terminals' sets go. */
  subpackageTotalBytes: number;
  /** Destroy a socket whose peer does not read its replies for this long. */
  drainTimeoutMs: number;
  /** Close a connection after this many refused auth codes (0x0102); 0 = never. */
  maxAuthFailures: number;
}

export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  requireAuth: true,
  ack: 'durable',
  checksum: 'strict',
  maxFrameBytes: 8192,
  idleTimeoutMs: 180_000,
  authTimeoutMs: 30_000,
  utcOffsetMinutes: 480,
  subpackageTimeoutMs: 30_000,
  subpackageMaxBytes: 1 << 20,
  subpackageTotalBytes: 256 << 20,
  drainTimeoutMs: 30_000,
  maxAuthFailures: 5,
};

/** The part of the spool the gateway writes to. */
export interface SpoolWriter {
  /** Copies the record; returns its end position, or -1 when the spool refuses (full or failing). */
  append(data: Uint8Array, stampMs: number): number;
  readonly durablePosition: number;
}

/** Counters the gateway bumps; implemented over prom-client in src/metrics.ts. */
export interface GatewayMetrics {
  connectionOpened(): void;
  connectionClosed(reason: string): void;
  connectionRejected(reason: string): void;
  frame(msgId: number): void;
  badFrame(reason: string): void;
  answer(result: number): void;
  sessionState(from: SessionState | null, to: SessionState | null): void;
  pausedSockets(delta: number): void;
}

export type SessionState = 'connected' | 'registered' | 'authenticated';

export const NOOP_METRICS: GatewayMetrics = {
  connectionOpened() {},
  connectionClosed() {},
  connectionRejected() {},
  frame() {},
  badFrame() {},
  answer() {},
  sessionState() {},
  pausedSockets() {},
};

export type GatewayLogger = Logger;
