/**
 * Closed-loop load with a start barrier, for bench/ingest.ts: N terminals connect, register and authenticate,
 * and only when every one is online and the parent says `go` does each keep `window` 0x0200 reports in
 * flight (the next leaves when an answer arrives; all reports triggered by one read leave in one write).
 *
 * Why not fleetgate-sim here: it starts reporting as each terminal comes online, so with `--rate max` the
 * first terminals saturate the server while the rest are still registering, and at 10,000 connections the
 * server's accept queue stays full (Recv-Q 4096 on the listener) and the last registrations take minutes.
 * The simulator drives the open-loop phase and bench/connections, where the server is not saturated.
 *
 * Run by the parent with child_process.fork (IPC). Messages from the parent: {cmd: 'go'}, {cmd: 'mark', id}
 * (counters now, and the latency histogram since the previous mark, which it resets), {cmd: 'stop'} (stop
 * sending, wait ≤ 10 s for answers, report totals, exit). To the parent: {type: 'online', online, connected,
 * failed} every 500 ms until all are online, {type: 'mark', …}, {type: 'done', …}.
 *
 * Reports: the wire bytes of fleetgate-sim (simulator/wire.ts FrameWriter: header template, one-pass
 * checksum and escape), 2013 and 2019 headers alternating by terminal, a 0x0200 body with mileage, fuel,
 * RSSI and satellites, one device second per report per terminal from `startTs` (unique rows per drive; the
 * caller picks a live start, see bench/ingest.ts).
 */
import { connect, type Socket } from 'node:net';
import { FrameSplitter, encode0100, encode0102, encode0200, writeBcdTime, type SplitterHandler } from '../../protocols/jt808/index.js';
import { FrameWriter } from '../../simulator/wire.js';

export interface LoaderOptions {
  port: number;
  terminals: number;
  window: number;
  firstId: number;
  sourceIps: string[];
  /** New connections per second (0 = all at once). */
  ramp: number;
  /** Device time of every terminal's first report, epoch s. */
  startTs: number;
  /** Open loop: reports per terminal per second, each on its own schedule (random phase); at most `window` in flight. */
  rate?: number;
}

export interface LoaderCounts {
  online: number;
  connected: number;
  failed: number;
  sent: number;
  answered: number;
  /** Open loop: reports not sent on schedule because `window` were in flight. */
  skipped: number;
  at: number;
}

export interface LoaderMark extends LoaderCounts {
  type: 'mark';
  id: number;
  /** Answer latency since the previous mark, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

// Latency histogram: 10 µs buckets below 100 ms, 1 ms buckets up to 60 s (and the last bucket beyond).
const FINE = 10_000;
const BUCKETS = FINE + 59_900;
const hist = new Uint32Array(BUCKETS);
let histMax = 0;

function bucketOf(us: number): number {
  return us < 100_000 ? Math.floor(us / 10) : Math.min(BUCKETS - 1, FINE + Math.floor((us - 100_000) / 1000));
}

/** Upper edge of bucket i, ms. */
function edgeMs(i: number): number {
  return i < FINE ? ((i + 1) * 10) / 1000 : 100 + (i - FINE + 1);
}

function record(us: number): void {
  hist[bucketOf(us)]++;
  if (us > histMax) histMax = us;
}

function quantileMs(total: number, q: number): number {
  if (total === 0) return NaN;
  const rank = Math.ceil(q * total);
  let c = 0;
  for (let i = 0; i < BUCKETS; i++) {
    c += hist[i];
    if (c >= rank) return Math.min(edgeMs(i), histMax / 1000);
  }
  return histMax / 1000;
}

const out = Buffer.allocUnsafe(1 << 20);
let outLen = 0;
let sent = 0;
let answered = 0;
let online = 0;
let skipped = 0;
let connected = 0;
let failed = 0;
let going = false;
let stopping = false;

const ST_REGISTER = 1;
const ST_AUTH = 2;
const ST_ONLINE = 3;

class Term implements SplitterHandler {
  private socket: Socket | null = null;
  private readonly splitter = new FrameSplitter(512);
  private readonly writer: FrameWriter;
  private readonly body: Buffer;
  private state = 0;
  private serial = 0;
  private ts: number;
  private inFlight = 0;
  /** Send time (performance.now) by serial & 15. */
  private readonly sentAt = new Float64Array(16);
  private authCode = '';
  private regSerial = -1;
  private authSerial = -1;

  constructor(
    private readonly index: number,
    private readonly o: LoaderOptions,
  ) {
    const layout = index % 2 === 0 ? '2013' : '2019';
    const id = String(o.firstId + index);
    this.writer = new FrameWriter(layout, layout === '2019' ? id.padStart(20, '0') : id.padStart(12, '0'));
    this.ts = o.startTs;
    this.body = encode0200({
      status: 0x000c0003, latE6: 29_560_000 + index * 7, lonE6: 106_550_000 + index * 11, altitudeM: 250, speedRaw: 400, direction: (index * 13) % 360,
      time: this.ts * 1000, utcOffsetMinutes: 480, mileageRaw: 100_000 + index, fuelRaw: 400, rssi: 25, satellites: 12,
    });
  }

  open(): void {
    const o = this.o;
    const localAddress = o.sourceIps.length ? o.sourceIps[this.index % o.sourceIps.length] : undefined;
    const s = connect({ host: '127.0.0.1', port: o.port, localAddress, noDelay: true });
    this.socket = s;
    s.on('connect', () => {
      connected++;
      this.state = ST_REGISTER;
      const reg = encode0100(
        { province: 50, city: 100, makerId: 'BENCH', model: 'loader', terminalId: `L${this.index}`.slice(0, 7), plateColor: 1, plate: `B${this.index}`.slice(0, 8) },
        this.index % 2 === 0 ? '2013' : '2019',
      );
      this.regSerial = this.send(0x0100, reg);
      this.flush();
    });
    s.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk, this);
      this.flush();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.state !== ST_ONLINE) failed++;
      else online--;
      this.state = 0;
    });
  }

  /** Answers from the server. */
  frame(f: Buffer): void {
    // Header: id(2) props(2) [version(1)] phone(6|10) serial(2); 2019 when bit 14 is set (the servers answer in kind).
    const v2019 = (f[2] & 0x40) !== 0;
    const b = v2019 ? 17 : 12;
    const msgId = (f[0] << 8) | f[1];
    const replySerial = (f[b] << 8) | f[b + 1];
    if (msgId === 0x8001) {
      const result = f[b + 4];
      if (this.state === ST_ONLINE) {
        if (result !== 0) return;
        record((performance.now() - this.sentAt[replySerial & 15]) * 1000);
        answered++;
        this.inFlight--;
        if (going && !stopping && this.o.rate === undefined) this.report();
        return;
      }
      if (this.state === ST_AUTH && replySerial === this.authSerial && result === 0) {
        this.state = ST_ONLINE;
        online++;
        if (going && this.o.rate === undefined) for (let i = 0; i < this.o.window; i++) this.report();
      }
      return;
    }
    if (msgId === 0x8100 && this.state === ST_REGISTER && replySerial === this.regSerial && f[b + 2] === 0) {
      this.authCode = f.toString('latin1', b + 3, f.length - 1);
      this.state = ST_AUTH;
      this.authSerial = this.send(0x0102, encode0102({ authCode: this.authCode, imei: '860000000000001', softwareVersion: 'loader' }, this.index % 2 === 0 ? '2013' : '2019'));
    }
  }

  error(): void {}

  start(): void {
    if (this.state !== ST_ONLINE || this.o.rate !== undefined) return;
    for (let i = 0; i < this.o.window; i++) this.report();
    this.flush();
  }

  /** Open loop: one scheduled report (skipped when `window` are in flight). */
  tick(): void {
    if (this.state !== ST_ONLINE || stopping) return;
    if (this.inFlight >= this.o.window) {
      skipped++;
      return;
    }
    this.report();
    this.flush();
  }

  private report(): void {
    const body = this.body;
    const ts = this.ts++;
    writeBcdTime(body, 22, ts * 1000, 480);
    // A slow drift north-east, odometer counting up: compressible like a real track, never the same row.
    body.writeUInt32BE(29_560_000 + this.index * 7 + (ts - this.o.startTs) * 3, 8);
    body.writeUInt32BE(100_000 + this.index + (ts - this.o.startTs), 30);
    const serial = this.send(0x0200, body);
    this.sentAt[serial & 15] = performance.now();
    this.inFlight++;
    sent++;
  }

  private send(msgId: number, body: Buffer): number {
    const serial = this.serial;
    this.serial = (serial + 1) & 0xffff;
    if (outLen > out.length - 512) this.flush();
    outLen = this.writer.write(out, outLen, msgId, serial, body, 0, body.length);
    return serial;
  }

  /** Writes what this terminal queued in the shared buffer (one write per turn of this socket). */
  flush(): void {
    if (outLen === 0) return;
    this.socket?.write(Buffer.from(out.subarray(0, outLen)));
    outLen = 0;
  }

  get busy(): boolean {
    return this.inFlight > 0 && this.state === ST_ONLINE;
  }

  close(): void {
    this.socket?.destroy();
  }
}

function counts(): LoaderCounts {
  return { online, connected, failed, sent, answered, skipped, at: performance.now() };
}

const TICK_MS = 5;

/** Open loop: a timer wheel of TICK_MS slots over one period; each terminal sits in the slot of its phase. */
function openLoop(terms: readonly Term[], rate: number): void {
  const periodMs = 1000 / rate;
  const slots = Math.max(1, Math.round(periodMs / TICK_MS));
  const wheel: Term[][] = Array.from({ length: slots }, () => []);
  for (const t of terms) wheel[Math.floor(Math.random() * slots)].push(t);
  const t0 = performance.now();
  let done = 0; // slots fired so far
  const timer = setInterval(() => {
    if (stopping) {
      clearInterval(timer);
      return;
    }
    // Catch up on every slot due by now (a late tick fires the slots it missed).
    const due = Math.floor(((performance.now() - t0) / periodMs) * slots);
    for (; done <= due; done++) for (const t of wheel[done % slots]) t.tick();
  }, TICK_MS);
}

function main(o: LoaderOptions): void {
  const terms: Term[] = [];
  for (let i = 0; i < o.terminals; i++) terms.push(new Term(i, o));
  // Connection ramp in 10 ms slices.
  let next = 0;
  const perSlice = o.ramp > 0 ? Math.max(1, Math.round(o.ramp / 100)) : o.terminals;
  const ramp = setInterval(() => {
    for (let k = 0; k < perSlice && next < terms.length; k++) terms[next++].open();
    if (next >= terms.length) clearInterval(ramp);
  }, 10);
  const status = setInterval(() => {
    process.send?.({ type: 'online', ...counts() });
    if (online >= o.terminals) clearInterval(status);
  }, 500);
  process.on('message', (m: { cmd: string; id?: number }) => {
    if (m.cmd === 'go' && !going) {
      going = true;
      if (o.rate !== undefined) openLoop(terms, o.rate);
      else for (const t of terms) t.start();
    } else if (m.cmd === 'mark') {
      let total = 0;
      for (let i = 0; i < BUCKETS; i++) total += hist[i];
      const mark: LoaderMark = { type: 'mark', id: m.id ?? 0, ...counts(), p50Ms: quantileMs(total, 0.5), p99Ms: quantileMs(total, 0.99), maxMs: histMax / 1000, count: total };
      hist.fill(0);
      histMax = 0;
      process.send?.(mark);
    } else if (m.cmd === 'stop') {
      stopping = true;
      const deadline = performance.now() + 10_000;
      const wait = setInterval(() => {
        if (terms.some((t) => t.busy) && performance.now() < deadline) return;
        clearInterval(wait);
        clearInterval(status);
        clearInterval(ramp);
        process.send?.({ type: 'done', ...counts() }, () => {
          for (const t of terms) t.close();
          process.exit(0);
        });
      }, 20);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main(JSON.parse(process.argv[2] ?? '{}') as LoaderOptions);
