/**
 * The JT808 TCP server, as a short list of stages: admit the connection → one Session per socket
 * (frames → header → session rules → spool → answers after the group commit).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameSplitter } from '../../protocols/jt808/index.js';
import { AckGate } from './ack-gate.js';
import { FragmentStore } from './fragments.js';
import { Admission } from './admission.js';
import { recordWriter } from './record-writer.js';
import { AnswerOut } from './reply-writer.js';
import { Session, type GatewayContext } from './session.js';
import { SessionTable } from './session-table.js';
import type { TerminalRegistry } from './terminal-registry.js';
import { NOOP_METRICS, type GatewayLogger, type GatewayMetrics, type GatewaySettings, type SpoolWriter } from './types.js';

export interface GatewayDeps {
  settings: GatewaySettings;
  /** The Spool (which also writes records in place, see record-writer.ts) or any other SpoolWriter. */
  spool: SpoolWriter & {
    onDurable(fn: (durable: number) => void): void;
    on(event: 'high-water' | 'low-water', fn: () => void): unknown;
  };
  registry: TerminalRegistry;
  log: GatewayLogger;
  metrics?: GatewayMetrics;
  maxConnections: number;
  connectionsPerIpPerSecond: number;
  now?: () => number;
}

/**
 * `socket.remoteAddress` caches an object and a string on every socket for its lifetime (~0.1 KB per held
 * connection): the peer is read once through the handle into this reused object instead, with the public
 * getters as the fallback.
 */
const peerOut: { address?: string; port?: number } = {};

function peerOf(socket: Socket): { ip: string; port: number } {
  const handle = (socket as unknown as { _handle?: { getpeername?(out: object): number } })._handle;
  if (handle?.getpeername?.(peerOut) === 0 && peerOut.address !== undefined) return { ip: peerOut.address, port: peerOut.port ?? 0 };
  return { ip: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
}

export class Gateway {
  readonly sessions = new SessionTable<Session>();
  private readonly live = new Set<Session>();
  private readonly server: Server;
  private readonly admission: Admission;
  private readonly ctx: GatewayContext;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly fragmentTimer: NodeJS.Timeout;
  private readonly expiryTimer: NodeJS.Timeout;
  private nextConnectionId = 1;
  private spoolPaused = false;
  private churned = 0;

  constructor(deps: GatewayDeps) {
    const metrics = deps.metrics ?? NOOP_METRICS;
    const unescapeScratch = Buffer.allocUnsafe(deps.settings.maxFrameBytes);
    this.admission = new Admission(deps.maxConnections, deps.connectionsPerIpPerSecond);
    this.ctx = {
      settings: deps.settings,
      spool: recordWriter(deps.spool),
      gate: new AckGate(),
      registry: deps.registry,
      sessions: this.sessions,
      metrics,
      log: deps.log,
      now: deps.now ?? Date.now,
      unescapeScratch,
      splitter: new FrameSplitter(deps.settings.maxFrameBytes, unescapeScratch),
      fragments: new FragmentStore({
        timeoutMs: deps.settings.subpackageTimeoutMs,
        maxBytes: deps.settings.subpackageMaxBytes,
        maxSets: 16,
        maxTotalBytes: deps.settings.subpackageTotalBytes,
      }),
      out: new AnswerOut(),
      detach: (session) => {
        if (!this.live.delete(session)) return;
        this.admission.release();
        this.churned++;
      },
    };
    deps.spool.onDurable((durable) => this.ctx.gate.release(durable));
    deps.spool.on('high-water', () => this.pauseAll('spool high water'));
    // 'low-water' also follows a disk recovery once nothing else holds the pause.
    deps.spool.on('low-water', () => this.resumeAll());
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => deps.log.error({ err }, 'jt808 server error'));
    this.sweepTimer = setInterval(() => this.admission.sweep(this.ctx.now()), 5000);
    this.sweepTimer.unref();
    const every = Math.max(100, Math.floor(deps.settings.subpackageTimeoutMs / 4));
    this.fragmentTimer = setInterval(() => this.expireFragments(), every);
    this.fragmentTimer.unref();
    // One sweep for every connection's idle, pre-auth and drain timeouts instead of timers per socket.
    const s = deps.settings;
    const shortest = Math.min(...[s.idleTimeoutMs, s.requireAuth ? s.authTimeoutMs : 0, s.drainTimeoutMs].filter((ms) => ms > 0));
    this.expiryTimer = setInterval(() => this.expireSessions(), Math.min(1000, Math.max(25, Math.floor(shortest / 8))));
    this.expiryTimer.unref();
  }

  /** Live connections (authenticated or not). */
  get connections(): number {
    return this.live.size;
  }

  /** Connections admitted plus connections closed since start: how much the fleet has churned (heap-trim.ts). */
  get connectionChurn(): number {
    return this.churned;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  private accept(socket: Socket): void {
    const { ip, port } = peerOf(socket);
    const verdict = this.admission.admit(ip, this.ctx.now());
    if (verdict !== 'ok') {
      this.ctx.metrics.connectionRejected(verdict);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.ctx.metrics.connectionOpened();
    const session = new Session(this.nextConnectionId++, ip, port, socket, this.ctx);
    this.live.add(session);
    this.churned++;
    if (this.spoolPaused) session.pause();
  }

  private expireSessions(): void {
    const now = this.ctx.now();
    for (const s of this.live) s.expire(now);
  }

  /** Incomplete fragment sets past their timeout: the terminal's current connection asks for the rest. */
  private expireFragments(): void {
    for (const e of this.ctx.fragments.expire(this.ctx.now())) this.sessions.get(e.terminalId)?.requestResend(e.missing);
  }

  private pauseAll(reason: string): void {
    if (this.spoolPaused) return;
    this.spoolPaused = true;
    this.ctx.log.warn({ reason, connections: this.live.size }, 'pausing all terminal sockets');
    for (const s of this.live) s.pause();
  }

  private resumeAll(): void {
    if (!this.spoolPaused) return;
    this.spoolPaused = false;
    this.ctx.log.info({ connections: this.live.size }, 'resuming terminal sockets');
    for (const s of this.live) s.resume();
  }

  /** Stops accepting, closes every connection. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.fragmentTimer);
    clearInterval(this.expiryTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.live) s.close('shutdown');
    await closed;
  }
}
