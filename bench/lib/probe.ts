/**
 * "Queryable": how long after its answer a position can be read back through the API. One extra terminal
 * (its own TCP connection, registered and authenticated like any other) sends a 0x0200 with a unique device
 * second every `intervalMs`; for each answered one, `GET /api/v1/terminals/{id}/track` over a fixed range is
 * polled every `pollMs` until the point is there. queryable = first poll that shows it − its answer.
 * Resolution: `pollMs`. The track endpoint reads ClickHouse (its cache holds only what the sink has
 * committed), so this is the time until the row is in the store, not in the in-memory latest cache.
 *
 * Polls cost the gateway CPU (a ClickHouse query whenever the probe's rows are in flight), so benchmarks run
 * the probe outside their CPU windows.
 */
import { connect, type Socket } from 'node:net';
import {
  FrameSplitter, decodePacket, decode8100, encode0100, encode0102, encode0200, encodePacket, type SplitterHandler,
} from '../../protocols/jt808/index.js';
import { sleep } from './stats.js';

export interface ProbeOptions {
  port: number;
  httpPort: number;
  /** 12 BCD digits; the API id is the same without leading zeros. */
  phoneBcd?: string;
  intervalMs?: number;
  pollMs?: number;
}

interface Shot {
  ts: number;
  serial: number;
  sentAt: number;
  answeredAt?: number;
  seenAt?: number;
}

export interface ProbeResult {
  sent: number;
  answered: number;
  seen: number;
  /** Answer latency of the probe's own reports, ms. */
  answerMs: number[];
  /** Answer → first poll showing the row, ms. */
  queryableMs: number[];
}

const isoS = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

export class Probe implements SplitterHandler {
  private socket: Socket | null = null;
  private readonly splitter = new FrameSplitter(1024);
  private serial = 0;
  private readonly shots = new Map<number, Shot>();
  private readonly byTs = new Map<string, Shot>();
  private readonly waiting = new Map<number, (body: Buffer) => void>();
  private readonly phone: string;
  readonly id: string;
  private nextTs: number;
  private readonly firstTs: number;
  private sendTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopPolling = false;
  private collected: Shot[] = [];

  constructor(private readonly o: ProbeOptions) {
    this.phone = o.phoneBcd ?? '019900000001';
    this.id = this.phone.replace(/^0+/, '');
    // Two hours ago, one device second per report: unique, in the past, same local day most of the time.
    this.firstTs = Math.floor(Date.now() / 1000) - 7200;
    this.nextTs = this.firstTs;
  }

  /** Connects, registers, authenticates. */
  async open(): Promise<void> {
    const s = connect({ host: '127.0.0.1', port: this.o.port, noDelay: true });
    this.socket = s;
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.on('data', (chunk: Buffer) => this.splitter.push(chunk, this));
    s.on('error', () => undefined);
    const reg = encode0100({ province: 50, city: 100, makerId: 'BENCH', model: 'probe', terminalId: 'PROBE01', plateColor: 1, plate: 'BENCH1' }, '2013');
    const r = decode8100(await this.request(0x0100, reg));
    if (!r.ok || r.value.result !== 0) throw new Error(`probe: registration refused (${r.ok ? r.value.result : r.code})`);
    const a = await this.request(0x0102, encode0102({ authCode: r.value.authCode ?? '', imei: '000000000000001', softwareVersion: 'bench' }, '2013'));
    if (a.readUInt8(4) !== 0) throw new Error(`probe: authentication refused (${a.readUInt8(4)})`);
  }

  /** Starts reporting every intervalMs and polling the API. */
  start(): void {
    this.stopPolling = false;
    const every = this.o.intervalMs ?? 200;
    this.sendTimer = setInterval(() => this.shoot(), every);
    this.polling ??= this.pollLoop();
  }

  /** Stops reporting (polling goes on for the rows still to show). */
  pause(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.sendTimer = null;
  }

  /** Stops reporting; waits up to `waitMs` for outstanding rows to show; returns this phase's figures. */
  async stop(waitMs = 8000): Promise<ProbeResult> {
    this.pause();
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && [...this.shots.values()].some((s) => s.seenAt === undefined)) await sleep(50);
    this.stopPolling = true;
    await this.polling;
    this.polling = null;
    const all = [...this.collected, ...this.shots.values()];
    this.collected = [];
    this.shots.clear();
    this.byTs.clear();
    return {
      sent: all.length,
      answered: all.filter((s) => s.answeredAt !== undefined).length,
      seen: all.filter((s) => s.seenAt !== undefined).length,
      answerMs: all.filter((s) => s.answeredAt !== undefined).map((s) => s.answeredAt! - s.sentAt),
      queryableMs: all.filter((s) => s.seenAt !== undefined && s.answeredAt !== undefined).map((s) => Math.max(0, s.seenAt! - s.answeredAt!)),
    };
  }

  /** Positions this probe had answered over its life (for the rows-stored check). */
  answeredTotal = 0;

  close(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.stopPolling = true;
    this.socket?.destroy();
  }

  // ---- wire ----------------------------------------------------------------------------------

  frame(unescaped: Buffer): void {
    const p = decodePacket(unescaped);
    if (!p.ok) return;
    const { header, body } = p.value;
    const replySerial = body.length >= 2 ? body.readUInt16BE(0) : -1;
    const w = this.waiting.get(replySerial);
    if (w) {
      this.waiting.delete(replySerial);
      w(Buffer.from(body));
      return;
    }
    if (header.msgId === 0x8001) {
      const shot = this.shots.get(replySerial);
      if (shot && shot.answeredAt === undefined && body[4] === 0) {
        shot.answeredAt = performance.now();
        this.answeredTotal++;
      }
    }
  }

  error(): void {}

  private send(msgId: number, body: Buffer): number {
    const serial = this.serial++ & 0xffff;
    this.socket?.write(encodePacket({ msgId, layout: '2013', phoneBcd: this.phone, serial }, body));
    return serial;
  }

  private request(msgId: number, body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const serial = this.send(msgId, body);
      const timer = setTimeout(() => reject(new Error(`probe: no answer to 0x${msgId.toString(16)}`)), 30_000);
      this.waiting.set(serial, (b) => {
        clearTimeout(timer);
        resolve(b);
      });
    });
  }

  private shoot(): void {
    const ts = this.nextTs++;
    const body = encode0200({
      status: 0x000c0003, latE6: 29_560_000 + (ts % 1000), lonE6: 106_550_000, speedRaw: 300, direction: 90, altitudeM: 250,
      time: ts * 1000, utcOffsetMinutes: 480, mileageRaw: ts % 1_000_000,
    });
    const shot: Shot = { ts, serial: 0, sentAt: performance.now() };
    shot.serial = this.send(0x0200, body);
    // A serial wraps after 65,536 reports; an old shot under the same serial is long settled.
    const old = this.shots.get(shot.serial);
    if (old) this.collected.push(old);
    this.shots.set(shot.serial, shot);
    this.byTs.set(isoS(ts), shot);
  }

  private async pollLoop(): Promise<void> {
    const every = this.o.pollMs ?? 50;
    // A fixed range, so the API's track cache can answer while none of the probe's rows are in flight.
    const url = `http://127.0.0.1:${this.o.httpPort}/api/v1/terminals/${this.id}/track?from=${this.firstTs * 1000}&to=${(this.firstTs + 86_400) * 1000}`;
    while (!this.stopPolling) {
      const open = [...this.shots.values()].some((s) => s.answeredAt !== undefined && s.seenAt === undefined);
      if (open) {
        try {
          const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
          if (r.ok) {
            const now = performance.now();
            const j = (await r.json()) as { points: { time: string }[] };
            for (const p of j.points) {
              const s = this.byTs.get(p.time);
              if (s && s.seenAt === undefined && s.answeredAt !== undefined) s.seenAt = now;
            }
          }
        } catch {
          // a slow or failed poll: try again
        }
      }
      await sleep(every);
    }
  }
}
