/**
 * The floor: a bare `node:net` JT/T 808 server that only frames, checks and answers — what any Node gateway
 * must at least do per message (DESIGN.md "Performance budget"). bench/ingest.ts drives it and fleetgate in
 * turn and compares their CPU per answered message.
 *
 *   node --import tsx bench/baseline.ts [--port 0] [--host 127.0.0.1]
 *
 * Prints `{"port":N,"pid":P}` on stdout once listening; on SIGTERM/SIGINT prints `{"frames":…,"answers":…,
 * "badChecksum":…}` and exits. Per read: find the 0x7e-delimited frames, unescape each into one shared
 * scratch buffer while XOR-ing the checksum, read msg id / phone / serial, answer 0x0100 with 0x8100 (fixed
 * auth code) and everything else with a 0x8001 success built from a per-connection header template; all
 * answers of one read leave in one write. Nothing is kept, decoded, stored or logged; a partial frame at the
 * end of a read is the only per-connection state (a copy, made only when a read ends mid-frame).
 */
import { createServer, type Socket } from 'node:net';

const DELIM = 0x7e;
const ESC = 0x7d;
const MAX_FRAME = 8192;
const AUTH_CODE = Buffer.from('baseline');

// Shared by all connections: the event loop runs one 'data' handler at a time.
const scratch = Buffer.allocUnsafe(MAX_FRAME);
const out = Buffer.allocUnsafe(256 * 1024);
const reply = Buffer.allocUnsafe(64);

let frames = 0;
let answers = 0;
let badChecksum = 0;

class Conn {
  /** Bytes of an incomplete frame from the previous read (starting at its 0x7e), or null. */
  private rest: Buffer | null = null;
  /** 0x8001 header + body template: id, props, [version], phone, serial, body (5). */
  private template: Buffer | null = null;
  private serialAt = 0;
  private serial = 0;
  private outLen = 0;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
  }

  private onData(input: Buffer): void {
    let chunk = input;
    if (this.rest !== null) {
      chunk = Buffer.concat([this.rest, input]);
      this.rest = null;
    }
    const n = chunk.length;
    let start = chunk.indexOf(DELIM);
    while (start >= 0 && start < n - 1) {
      const end = chunk.indexOf(DELIM, start + 1);
      if (end < 0) {
        if (n - start <= MAX_FRAME) this.rest = Buffer.from(chunk.subarray(start));
        break;
      }
      if (end === start + 1) {
        start = end; // 7e 7e: the second one opens the next frame
        continue;
      }
      this.frame(chunk, start + 1, end);
      start = chunk.indexOf(DELIM, end + 1);
    }
    if (this.outLen > 0) {
      this.socket.write(Buffer.from(out.subarray(0, this.outLen)));
      this.outLen = 0;
    }
  }

  /** One escaped frame between its delimiters: unescape + checksum in one pass, then answer. */
  private frame(src: Buffer, from: number, to: number): void {
    let m = 0;
    let x = 0;
    for (let i = from; i < to; i++) {
      let b = src[i];
      if (b === ESC) {
        const nx = src[++i];
        if (nx === 0x01) b = ESC;
        else if (nx === 0x02) b = DELIM;
        else return; // bad escape: dropped
      }
      scratch[m++] = b;
      x ^= b;
      if (m >= MAX_FRAME) return;
    }
    // x is the XOR of every byte including the checksum: 0 when the checksum matches.
    if (m < 13 || x !== 0) {
      badChecksum++;
      return;
    }
    frames++;
    const props = (scratch[2] << 8) | scratch[3];
    const bodyLen = props & 0x3ff;
    const sub = (props & 0x2000) !== 0 ? 4 : 0;
    let phoneAt: number;
    let phoneLen: number;
    if (17 + sub + bodyLen === m - 1) {
      phoneAt = 5;
      phoneLen = 10;
    } else if (12 + sub + bodyLen === m - 1) {
      phoneAt = 4;
      phoneLen = 6;
    } else return;
    const serialAt = phoneAt + phoneLen;
    if (scratch[0] === 0x01 && scratch[1] === 0x00) this.answer8100(phoneAt, phoneLen, serialAt);
    else this.answer8001(phoneAt, phoneLen, serialAt);
  }

  private answer8001(phoneAt: number, phoneLen: number, serialAt: number): void {
    let t = this.template;
    if (t === null || t.length !== serialAt + 7 || scratch.compare(t, 4, serialAt, 4, serialAt) !== 0) {
      t = Buffer.alloc(serialAt + 7);
      t[0] = 0x80;
      t[1] = 0x01;
      const v2019 = phoneLen === 10 ? 0x40 : 0;
      t[2] = v2019;
      t[3] = 5;
      scratch.copy(t, 4, 4, phoneAt + phoneLen); // [version byte,] phone
      this.template = t;
      this.serialAt = serialAt;
    }
    const s = this.serialAt;
    const serial = this.serial++ & 0xffff;
    t[s] = serial >> 8;
    t[s + 1] = serial & 0xff;
    t[s + 2] = scratch[serialAt];
    t[s + 3] = scratch[serialAt + 1];
    t[s + 4] = scratch[0];
    t[s + 5] = scratch[1];
    t[s + 6] = 0;
    this.emit(t, t.length);
  }

  private answer8100(phoneAt: number, phoneLen: number, serialAt: number): void {
    const bodyLen = 3 + AUTH_CODE.length;
    const r = reply;
    r[0] = 0x81;
    r[1] = 0x00;
    r[2] = (phoneLen === 10 ? 0x40 : 0) | (bodyLen >> 8);
    r[3] = bodyLen & 0xff;
    scratch.copy(r, 4, 4, phoneAt + phoneLen);
    const serial = this.serial++ & 0xffff;
    r[serialAt] = serial >> 8;
    r[serialAt + 1] = serial & 0xff;
    r[serialAt + 2] = scratch[serialAt];
    r[serialAt + 3] = scratch[serialAt + 1];
    r[serialAt + 4] = 0;
    AUTH_CODE.copy(r, serialAt + 5);
    this.emit(r, serialAt + 5 + AUTH_CODE.length);
  }

  /** Appends `7e escaped(msg + checksum) 7e` to the shared output of this read. */
  private emit(msg: Buffer, len: number): void {
    if (this.outLen > out.length - 2 * len - 8) {
      this.socket.write(Buffer.from(out.subarray(0, this.outLen)));
      this.outLen = 0;
    }
    let o = this.outLen;
    out[o++] = DELIM;
    let x = 0;
    for (let i = 0; i <= len; i++) {
      let b: number;
      if (i < len) {
        b = msg[i];
        x ^= b;
      } else b = x;
      if (b === DELIM) {
        out[o++] = ESC;
        out[o++] = 0x02;
      } else if (b === ESC) {
        out[o++] = ESC;
        out[o++] = 0x01;
      } else out[o++] = b;
    }
    out[o++] = DELIM;
    this.outLen = o;
    answers++;
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const server = createServer({ noDelay: true }, (socket) => new Conn(socket));
server.on('error', (err) => {
  process.stderr.write(`baseline: ${err.message}\n`);
  process.exit(1);
});
server.listen({ port: Number(arg('port', '0')), host: arg('host', '127.0.0.1'), backlog: 65535 }, () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof a === 'object' && a ? a.port : 0, pid: process.pid })}\n`);
});
const stop = (): void => {
  process.stdout.write(`${JSON.stringify({ frames, answers, badChecksum })}\n`, () => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
