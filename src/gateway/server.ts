/**
 * The JT808 TCP server, as a short list of stages: admit the connection → one Session per socket
 * (frames → header → session rules → spool → answers after the group commit).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { AckGate } from './ack-gate.js';
import { FragmentStore } from './fragments.js';
import { Admission } from './admission.js';
import { Session, type GatewayContext } from './session.js';
import { SessionTable } from './session-table.js';
import type { TerminalRegistry } from './terminal-registry.js';
import { NOOP_METRICS, type GatewayLogger, type GatewayMetrics, type GatewaySettings, type SpoolWriter } from './types.js';

export interface GatewayDeps {
  settings: GatewaySettings;
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

const MAX_RECORD_BYTES = 64 * 1024;

export class Gateway {
  readonly sessions = new SessionTable<Session>();
  private readonly live = new Set<Session>();
  private readonly server: Server;
  private readonly admission: Admission;
  private readonly ctx: GatewayContext;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly fragmentTimer: NodeJS.Timeout;
  private nextConnectionId = 1;
  private spoolPaused = false;

  constructor(deps: GatewayDeps) {
    const metrics = deps.metrics ?? NOOP_METRICS;
    this.admission = new Admission(deps.maxConnections, deps.connectionsPerIpPerSecond);
    this.ctx = {
      settings: deps.settings,
      spool: deps.spool,
      gate: new AckGate(),
      registry: deps.registry,
      sessions: this.sessions,
      metrics,
      log: deps.log,
      now: deps.now ?? Date.now,
      scratch: Buffer.allocUnsafe(MAX_RECORD_BYTES),
      unescapeScratch: Buffer.allocUnsafe(deps.settings.maxFrameBytes),
      fragments: new FragmentStore({
        timeoutMs: deps.settings.subpackageTimeoutMs,
        maxBytes: deps.settings.subpackageMaxBytes,
        maxSets: 16,
        maxTotalBytes: deps.settings.subpackageTotalBytes,
      }),
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
  }

  /** Live connections (authenticated or not). */
  get connections(): number {
    return this.live.size;
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
    const ip = socket.remoteAddress ?? 'unknown';
    const verdict = this.admission.admit(ip, this.ctx.now());
    if (verdict !== 'ok') {
      this.ctx.metrics.connectionRejected(verdict);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.ctx.metrics.connectionOpened();
    const session = new Session(this.nextConnectionId++, `${ip}:${socket.remotePort}`, socket, this.ctx);
    this.live.add(session);
    socket.once('close', () => {
      this.live.delete(session);
      this.admission.release();
    });
    if (this.spoolPaused) session.pause();
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.live) s.close('shutdown');
    await closed;
  }
}
