/**
 * A scripted JT808 terminal for tests: connects over real TCP, sends frames built with the codec's
 * terminal-side encoders, and collects the platform's answers.
 */
import { connect, type Socket } from 'node:net';
import { FrameSplitter, decodePacket, encodePacket, type HeaderLayout, type Packet } from '../../protocols/jt808/index.js';

export interface Answer {
  packet: Packet;
  /** For 0x8001/0x8100: the serial and id answered, and the result. */
  replySerial: number;
  replyMsgId: number;
  result: number;
}

function toAnswer(p: Packet): Answer {
  const b = p.body;
  if (p.header.msgId === 0x8001 && b.length >= 5) return { packet: p, replySerial: b.readUInt16BE(0), replyMsgId: b.readUInt16BE(2), result: b[4] };
  if (p.header.msgId === 0x8100 && b.length >= 3) return { packet: p, replySerial: b.readUInt16BE(0), replyMsgId: 0x0100, result: b[2] };
  return { packet: p, replySerial: -1, replyMsgId: -1, result: -1 };
}

export class TestTerminal {
  readonly answers: Answer[] = [];
  private serial = 0;
  private waiters: Array<{ match: (a: Answer) => boolean; resolve: (a: Answer) => void }> = [];
  private readonly splitter = new FrameSplitter();
  closed = false;

  private constructor(
    readonly socket: Socket,
    readonly phone: string,
    readonly layout: HeaderLayout,
  ) {
    socket.on('data', (chunk) =>
      this.splitter.push(chunk, {
        frame: (f) => {
          const d = decodePacket(Buffer.from(f));
          if (!d.ok) return;
          const a = toAnswer(d.value);
          this.answers.push(a);
          const i = this.waiters.findIndex((w) => w.match(a));
          if (i >= 0) this.waiters.splice(i, 1)[0].resolve(a);
        },
        error: () => {},
      }),
    );
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static open(port: number, phone: string, layout: HeaderLayout = '2013', host = '127.0.0.1'): Promise<TestTerminal> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new TestTerminal(s, phone, layout)));
      s.once('error', reject);
    });
  }

  nextSerial(): number {
    return this.serial++ & 0xffff;
  }

  /** A complete wire frame for this terminal. */
  frame(msgId: number, body: Uint8Array, serial = this.nextSerial(), extra: { packetTotal?: number; packetIndex?: number } = {}): Buffer {
    return encodePacket({ msgId, layout: this.layout, phoneBcd: this.phone, serial, ...extra }, body);
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for the answer to `serial` (by reply serial), or rejects after `ms`. */
  waitFor(match: (a: Answer) => boolean, ms = 5000): Promise<Answer> {
    const have = this.answers.find(match);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching answer within ${ms} ms (got ${this.answers.length})`)), ms);
      this.waiters.push({
        match,
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
      });
    });
  }

  /** Sends one message and waits for its answer. */
  async request(msgId: number, body: Uint8Array, ms = 5000): Promise<Answer> {
    const serial = this.nextSerial();
    this.write(this.frame(msgId, body, serial));
    return this.waitFor((a) => a.replySerial === serial && a.replyMsgId === msgId, ms);
  }

  closedWithin(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  end(): void {
    this.socket.destroy();
  }
}
