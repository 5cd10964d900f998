/**
 * One simulated terminal: connect → register (once; the code is kept across reconnects) → authenticate
 * → report and heartbeat; what is not answered goes back to the blind-area buffer and out again as
 * 0x0704 type 1 backlogs (SPEC §9: terminals keep reports while the link is down). Up to `window`
 * messages are in flight, matched to their answers by serial (pending.ts), each answer timed.
 *
 * Hot path rules: no per-message closures, objects or JSON. The frames of one turn (a timer tick, or
 * one read of answers) are written into the shared arena and leave in one socket write (outbox.ts);
 * splitter, header template and ring are per terminal and reused across connections.
 */
import { connect, type Socket } from 'node:net';
import { FrameSplitter, decode8003, decode8100, encode0100, encode0102, splitBody, type DecodeErrorCode, type SplitterHandler } from '../protocols/jt808/index.js';
import type { TerminalSpec } from './fleet.js';
import { Outbox } from './outbox.js';
import { InFlight, type Group } from './pending.js';
import { FLAG_BACKFILL, FLAG_RESENT, SampleLog, SeqQueue, ST_ANSWERED, ST_DROPPED, ST_QUEUED, ST_REJECTED, ST_SENT, type LogRow } from './samples.js';
import { PHASE_DONE, PHASE_RUN, type Shared } from './shared.js';
import { KIND_LOCATION, KIND_REGISTER, kindOf } from './stats.js';
import { newSample, type Vehicle } from './vehicle.js';
import { BATCH_ITEMS_PER_FRAME, FrameWriter, maxWireLength, readPlatformFrame, writeBatchHead, writeBatchItem, writeLocation, type PlatformFrame } from './wire.js';

export const S_IDLE = 0;
export const S_QUEUED = 1;
export const S_CONNECTING = 2;
export const S_REGISTERING = 3;
export const S_AUTHENTICATING = 4;
export const S_ONLINE = 5;
export const S_OFFLINE = 6;
export const S_DONE = 7;

/** Why we close our own connection; null = the gateway (or the network) closed it. */
type Closing = 'offline' | 'storm' | 'end' | 'retry' | null;

const BACKOFF_MIN_MS = 500;
const BACKOFF_SPAN_MS = 1500;
const REGISTER_RETRY_MS = 5000;
const SCAN_EVERY_MS = 1000;

export class Terminal implements SplitterHandler {
  state = S_IDLE;
  everOnline = false;
  readonly backlog = new SeqQueue();
  readonly log: SampleLog;
  /** Code from the 0x8100: kept across reconnects (SPEC §9). */
  authCode: string | null = null;
  /** How far live reports are behind schedule for lack of window, ms (progress line). */
  lagMs = 0;

  private readonly writer: FrameWriter;
  private readonly fl: InFlight;
  private readonly outbox = new Outbox();
  private readonly splitter = new FrameSplitter(1024);
  private readonly frameInfo: PlatformFrame = { msgId: 0, layout: '2013', bodyStart: 0, bodyEnd: 0 };
  private socket: Socket | null = null;
  private closing: Closing = null;
  private serial = 0;
  /** Subpackaged messages still waiting for answers, by first serial (for 0x8003). */
  private readonly groupsByFirst = new Map<number, Group>();
  private lastScanMs = 0;
  private lastSentMs = 0;
  private nextReportMs = Infinity;
  private reconnectAtMs = Infinity;
  private offlineUntilMs = Infinity;
  private offlineDone = false;
  private nowMs = 0;
  private connectedOnce = false;
  private resetsSeen = 0;
  private readonly skewMs: number;
  private readonly sample = newSample();
  private readonly row: LogRow = { timeMs: 0, latE6: 0, lonE6: 0, altitudeM: 0, speedRaw: 0, direction: 0, acc: 0, odometerRaw: 0, fuelRaw: 0, rssi: 0, satellites: 0 };
  private registerBody: Buffer | null = null;
  private authBody: Buffer | null = null;

  constructor(
    readonly index: number,
    readonly spec: TerminalSpec,
    readonly vehicle: Vehicle,
    private readonly sh: Shared,
    keepLog: boolean,
  ) {
    this.log = new SampleLog(keepLog);
    this.writer = new FrameWriter(spec.layout, spec.phoneBcd);
    this.skewMs = spec.clockSkewS * 1000;
    this.fl = new InFlight(sh.cfg.window);
  }

  get inFlight(): number {
    return this.fl.count;
  }

  /** Nothing in flight, nothing waiting to be sent. */
  get settled(): boolean {
    return this.fl.count === 0 && this.backlog.size === 0 && !this.outbox.holding;
  }

  // ---- connection life cycle -----------------------------------------------------------------

  /** Called by the runner's connection ramp. */
  openSocket(now: number): void {
    const cfg = this.sh.cfg;
    this.state = S_CONNECTING;
    this.closing = null;
    this.nowMs = now;
    const localAddress = this.sh.localAddress();
    // `onread` into one shared buffer: no Buffer and no stream machinery per read. The answers are
    // split synchronously and the splitter copies what it keeps. Measured by bench/simulator.ts.
    const s: Socket = connect({
      host: cfg.host,
      port: cfg.port,
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
      onread: {
        buffer: this.sh.readBuffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          this.onData(s, (buf as Buffer).subarray(0, n));
          return true;
        },
      },
    });
    this.socket = s;
    s.setTimeout(cfg.connectTimeoutMs);
    s.once('timeout', () => {
      if (this.socket === s && this.state === S_CONNECTING) {
        this.sh.stats.connectFailure('connect timeout');
        s.destroy();
      }
    });
    s.once('connect', () => this.onConnect(s));
    s.on('drain', () => this.onDrain(s));
    s.on('error', (err: NodeJS.ErrnoException) => this.onError(s, err));
    s.once('close', () => this.onClose(s));
  }

  private onConnect(s: Socket): void {
    if (this.socket !== s) return;
    s.setTimeout(0);
    const st = this.sh.stats;
    const now = this.sh.clock();
    this.nowMs = now;
    st.connectOk++;
    st.connected++;
    if (st.connected > st.peakConnected) st.peakConnected = st.connected;
    if (this.connectedOnce) st.reconnects++;
    this.connectedOnce = true;
    if (this.authCode === null) {
      this.state = S_REGISTERING;
      this.sendRegister(now);
    } else {
      this.state = S_AUTHENTICATING;
      this.sendAuth(now);
    }
    this.flush(now);
    this.schedule(now);
  }

  private onError(s: Socket, err: NodeJS.ErrnoException): void {
    if (this.socket !== s) return;
    if (this.state === S_CONNECTING) this.sh.stats.connectFailure(err.code ?? err.message);
    else this.sh.stats.fail(`socket error ${err.code ?? err.message}`);
  }

  private onClose(s: Socket): void {
    if (this.socket !== s) return;
    const st = this.sh.stats;
    const now = this.sh.clock();
    const wasConnected = this.state >= S_REGISTERING && this.state <= S_ONLINE;
    const closing = this.closing;
    this.socket = null;
    this.splitter.reset();
    this.outbox.reset();
    if (wasConnected) st.connected--;
    if (this.state === S_ONLINE) st.online--;
    if (wasConnected && closing === null) st.closedByPeer++;
    this.loseAll(closing === null ? 'in flight when the connection closed' : `in flight at disconnect (${closing})`);
    if (this.sh.phase === PHASE_DONE || closing === 'end') {
      this.state = S_DONE;
    } else if (closing === 'offline') {
      this.state = S_OFFLINE;
    } else {
      this.state = S_IDLE;
      if (closing !== 'storm' || this.reconnectAtMs === Infinity) {
        this.reconnectAtMs = now + (closing === 'retry' ? REGISTER_RETRY_MS : BACKOFF_MIN_MS + this.sh.rng.next() * BACKOFF_SPAN_MS);
      }
    }
    this.schedule(now);
  }

  private onDrain(s: Socket): void {
    if (this.socket !== s) return;
    this.outbox.blocked = false;
    const now = this.sh.clock();
    this.nowMs = now;
    if (this.state === S_ONLINE) this.pump(now);
    else this.flush(now);
    this.schedule(now);
  }

  /** Closes the connection on purpose (offline episode, reconnect storm, end of run). */
  disconnect(reason: Exclude<Closing, null>, now: number, reconnectAtMs = Infinity): void {
    if (reason === 'storm' && (this.state === S_OFFLINE || this.state === S_DONE)) return; // already off the network
    this.reconnectAtMs = reconnectAtMs;
    if (reason === 'offline') this.offlineUntilMs = now + (this.spec.offline?.forMs ?? 0);
    if (this.socket) {
      this.closing = reason;
      this.socket.destroy(); // 'close' follows and does the bookkeeping
      return;
    }
    if (this.state === S_DONE) return;
    // Not connected (waiting, or queued for the ramp: a queued terminal stays queued).
    if (reason === 'end') this.state = S_DONE;
    else if (reason === 'offline') this.state = S_OFFLINE;
    else if (this.state !== S_QUEUED) this.state = S_IDLE;
    this.schedule(now);
  }

  /** Start of the drain: come back now if offline or waiting, to hand over what is buffered. */
  drainNow(now: number): void {
    if ((this.state === S_OFFLINE || this.state === S_IDLE) && (this.backlog.size > 0 || this.fl.count > 0)) {
      this.state = S_QUEUED;
      this.sh.requestConnect(this);
    }
    this.schedule(now);
  }

  // ---- timers --------------------------------------------------------------------------------

  /** Timer-wheel callback. */
  onTimer(now: number): void {
    const sh = this.sh;
    const cfg = sh.cfg;
    this.nowMs = now;
    const off = this.spec.offline;
    if (off && !this.offlineDone && this.everOnline && sh.phase === PHASE_RUN && now - sh.startedAt >= off.atMs) {
      this.offlineDone = true;
      this.disconnect('offline', now);
    }
    if (this.state === S_OFFLINE && (now >= this.offlineUntilMs || sh.phase !== PHASE_RUN)) {
      this.state = S_QUEUED;
      sh.requestConnect(this);
    }
    if (this.state === S_IDLE && now >= this.reconnectAtMs) {
      this.reconnectAtMs = Infinity;
      this.state = S_QUEUED;
      sh.requestConnect(this);
    }
    if (sh.phase === PHASE_RUN && this.everOnline && this.state !== S_ONLINE && cfg.intervalMs > 0) {
      // The link is down: reports go to the blind-area buffer (SPEC §9), out later as 0x0704 type 1.
      while (this.nextReportMs <= now) {
        this.bufferReport();
        this.nextReportMs += cfg.intervalMs;
      }
    }
    if (this.fl.count > 0 && now - this.lastScanMs >= SCAN_EVERY_MS) this.scanTimeouts(now);
    if (this.state === S_ONLINE) this.pump(now);
    else this.flush(now);
    this.schedule(now);
  }

  /** Puts this terminal in the wheel at its next due time. */
  schedule(now: number): void {
    const sh = this.sh;
    const cfg = sh.cfg;
    const running = sh.phase === PHASE_RUN;
    const room = this.fl.count < cfg.window && !this.outbox.blocked;
    let due = Infinity;
    if (this.state === S_ONLINE) {
      if (running && cfg.intervalMs > 0 && room) due = this.nextReportMs;
      if (running && cfg.heartbeatMs > 0) due = Math.min(due, this.lastSentMs + cfg.heartbeatMs);
      if (this.backlog.size > 0 && room) due = now;
    } else if (running && this.everOnline && cfg.intervalMs > 0 && this.state !== S_DONE) {
      due = this.nextReportMs;
    }
    if (this.state === S_IDLE) due = Math.min(due, this.reconnectAtMs);
    if (this.state === S_OFFLINE) due = Math.min(due, running ? this.offlineUntilMs : now);
    const off = this.spec.offline;
    if (off && !this.offlineDone && running && this.everOnline) due = Math.min(due, sh.startedAt + off.atMs);
    if (this.outbox.holding) due = Math.min(due, this.outbox.heldUntil);
    if (this.fl.count > 0) due = Math.min(due, this.lastScanMs + SCAN_EVERY_MS);
    sh.wheel.schedule(this.index, due < now ? now : due);
  }

  // ---- sending -------------------------------------------------------------------------------

  /** Sends whatever is due and fits the window, then writes it out. Only when online. */
  private pump(now: number): void {
    if (this.outbox.blocked || this.socket === null) return;
    const cfg = this.sh.cfg;
    const fl = this.fl;
    const running = this.sh.phase === PHASE_RUN;
    if (this.backlog.size > 0 && fl.count < cfg.window) this.sendBatch(now);
    if (running) {
      if (cfg.intervalMs === 0) {
        while (fl.count < cfg.window) this.sendReport(now);
      } else {
        while (this.nextReportMs <= now && fl.count < cfg.window) {
          this.sendReport(now);
          this.nextReportMs += cfg.intervalMs;
        }
        this.lagMs = this.nextReportMs <= now ? now - this.nextReportMs : 0;
      }
      if (cfg.heartbeatMs > 0 && now - this.lastSentMs >= cfg.heartbeatMs && fl.count < cfg.window) this.sendSimple(0x0002, this.sh.body, now, 0);
    }
    while (this.backlog.size > 0 && fl.count < cfg.window) this.sendBatch(now);
    this.flush(now);
  }

  private flush(now: number): void {
    const sh = this.sh;
    const f = sh.cfg.faults;
    this.outbox.flush(this.socket, { out: sh.out, rng: sh.rng, stats: sh.stats, tickMs: sh.cfg.tickMs, sticky: f.sticky, split: f.split, final: sh.phase === PHASE_DONE }, now);
  }

  private nextSample(): number {
    const s = this.sample;
    this.vehicle.next(s);
    this.sh.stats.positionsGenerated++;
    if (this.vehicle.resets.length !== this.resetsSeen) {
      this.resetsSeen = this.vehicle.resets.length;
      this.sh.stats.odometerResets++;
    }
    return this.log.push(s, s.timeMs + this.skewMs);
  }

  /** A live report while the link is down: into the blind-area buffer (the oldest drops when full). */
  private bufferReport(): void {
    const seq = this.nextSample();
    if (this.backlog.size >= this.sh.cfg.backlogMax) {
      const old = this.backlog.shift();
      if (this.log.getState(old) === ST_QUEUED) {
        this.log.setState(old, ST_DROPPED);
        this.sh.stats.positionsDropped++;
      }
    }
    this.backlog.push(seq);
  }

  private sendReport(now: number): void {
    const seq = this.nextSample();
    const s = this.sample;
    const sh = this.sh;
    const body = sh.body;
    const n = writeLocation(body, 0, s, s.timeMs + this.skewMs);
    this.markSent(seq, false);
    const f = sh.cfg.faults;
    if (f.subpackage > 0 && sh.rng.next() < f.subpackage && !this.subpackaging(0x0200)) {
      this.sendFragments(body, n, Math.ceil(n / 2), this.newGroup(0x0200, [seq]), now);
      return;
    }
    const serial = this.claim(0x0200, now, seq, null);
    this.maybeBadFrame();
    this.room(n);
    const out = sh.out;
    out.len = this.writer.write(out.buf, out.len, 0x0200, serial, body, 0, n);
    if (f.duplicates > 0 && sh.rng.next() < f.duplicates) {
      // The same frame again (a terminal resending before the answer came): both get answered.
      this.room(n);
      out.len = this.writer.write(out.buf, out.len, 0x0200, serial, body, 0, n);
      this.fl.expect[this.fl.slotOf(serial)] = 2;
      sh.stats.duplicatesSent++;
      sh.stats.sent++;
      sh.stats.sentByKind[KIND_LOCATION]++;
    }
  }

  /** One 0x0704 type 1 message from the blind-area buffer (subpackaged when it exceeds a frame). */
  private sendBatch(now: number): void {
    const seqs: number[] = [];
    // While a subpackaged batch is incomplete, the next one must fit a single frame (see subpackaging).
    const max = this.subpackaging(0x0704) ? Math.min(this.sh.cfg.batchItems, BATCH_ITEMS_PER_FRAME) : this.sh.cfg.batchItems;
    while (this.backlog.size > 0 && seqs.length < max) {
      const seq = this.backlog.shift();
      const st = this.log.getState(seq);
      if (st === ST_QUEUED || st === ST_SENT) seqs.push(seq);
    }
    if (seqs.length === 0) return;
    const body = this.sh.body;
    let p = writeBatchHead(body, 0, seqs.length, 1);
    const row = this.row;
    for (const seq of seqs) {
      this.log.read(seq, row);
      p = writeBatchItem(body, p, row, row.timeMs);
      this.markSent(seq, true);
    }
    this.sh.stats.positionsBackfilled += seqs.length;
    const group = this.newGroup(0x0704, seqs);
    if (p > 0x3ff) {
      this.sendFragments(body, p, 1000, group, now);
      return;
    }
    const serial = this.claim(0x0704, now, -1, group);
    this.maybeBadFrame();
    this.room(p);
    const out = this.sh.out;
    out.len = this.writer.write(out.buf, out.len, 0x0704, serial, body, 0, p);
  }

  private markSent(seq: number, backfill: boolean): void {
    const log = this.log;
    if (log.getState(seq) === ST_QUEUED) this.sh.stats.positionsSent++;
    else {
      this.sh.stats.positionsResent++;
      log.addFlag(seq, FLAG_RESENT);
    }
    if (backfill) log.addFlag(seq, FLAG_BACKFILL);
    log.setState(seq, ST_SENT);
  }

  private newGroup(msgId: number, seqs: number[]): Group {
    return { msgId, seqs, left: 1, failed: false, lost: false, firstSerial: this.serial, frames: null };
  }

  /**
   * Whether a subpackaged message with this id is still incomplete. Terminals finish one before
   * starting the next: the gateway keys reassembly on (terminal, id, total) (SPEC §8), so two
   * interleaved would replace each other.
   */
  private subpackaging(msgId: number): boolean {
    for (const g of this.groupsByFirst.values()) if (g.msgId === msgId) return true;
    return false;
  }

  /**
   * A subpackaged message (SPEC §8): fragments with consecutive serials, each answered by 0x8001.
   * With fragment loss one fragment is held back until the gateway asks for it (0x8003).
   */
  private sendFragments(body: Buffer, n: number, fragment: number, group: Group, now: number): void {
    const sh = this.sh;
    const parts = splitBody(body.subarray(0, n), fragment);
    const total = parts.length;
    group.left = total;
    group.firstSerial = this.serial;
    group.frames = [];
    const loss = sh.cfg.faults.fragmentLoss;
    const drop = total > 1 && loss > 0 && sh.rng.next() < loss ? 1 + Math.floor(sh.rng.next() * total) : 0;
    const out = sh.out;
    for (let k = 0; k < total; k++) {
      const part = parts[k];
      const serial = this.claim(group.msgId, now, -1, group);
      this.room(part.length);
      const start = out.len;
      out.len = this.writer.write(out.buf, out.len, group.msgId, serial, part, 0, part.length, total, k + 1);
      group.frames.push(Buffer.from(out.buf.subarray(start, out.len)));
      sh.stats.fragmentsSent++;
      if (k + 1 === drop) {
        out.len = start; // not on the wire: the gateway should ask for it after its reassembly timeout
        this.fl.held[this.fl.slotOf(serial)] = 1;
        sh.stats.fragmentsHeldBack++;
      }
    }
    this.groupsByFirst.set(group.firstSerial, group);
  }

  private sendRegister(now: number): void {
    const sp = this.spec;
    this.registerBody ??= encode0100(
      { province: 50, city: 100, makerId: sp.makerId, model: sp.model, terminalId: sp.deviceId, plateColor: 1, plate: sp.plate },
      sp.layout === '2019' ? '2019' : '2013',
    );
    this.sendSimple(0x0100, this.registerBody, now);
  }

  private sendAuth(now: number): void {
    this.authBody ??= encode0102({ authCode: this.authCode ?? '', imei: this.spec.imei, softwareVersion: 'fleetgate-sim 1' }, this.spec.layout);
    this.sendSimple(0x0102, this.authBody, now);
  }

  private sendSimple(msgId: number, body: Buffer, now: number, n = body.length): void {
    const serial = this.claim(msgId, now, -1, null);
    this.room(n);
    const out = this.sh.out;
    out.len = this.writer.write(out.buf, out.len, msgId, serial, body, 0, n);
  }

  /** An undecodable candidate frame — too short for a header, or a bad escape: counted, never answered. */
  private maybeBadFrame(): void {
    const sh = this.sh;
    if (sh.cfg.faults.badFrames <= 0 || sh.rng.next() >= sh.cfg.faults.badFrames) return;
    this.room(16);
    const out = sh.out;
    const b = out.buf;
    let w = out.len;
    b[w++] = 0x7e;
    if (sh.rng.next() < 0.5) {
      const n = 3 + Math.floor(sh.rng.next() * 7);
      for (let i = 0; i < n; i++) b[w++] = 0x10 + Math.floor(sh.rng.next() * 0x60); // never 0x7d/0x7e
    } else {
      b[w++] = 0x02;
      b[w++] = 0x00;
      b[w++] = 0x7d;
      b[w++] = 0x03; // 0x7d must be followed by 01 or 02 (SPEC §3.1)
    }
    b[w++] = 0x7e;
    out.len = w;
    sh.stats.badFramesSent++;
  }

  /** Room in the arena for one more frame (this terminal's frames so far are written out if needed). */
  private room(bodyLength: number): void {
    const out = this.sh.out;
    if (out.len + maxWireLength(bodyLength + 25) + 32 > out.buf.length) this.flush(this.nowMs);
  }

  /** The next serial, and its slot in the ring (an older message still there is given up). */
  private claim(msgId: number, now: number, seq: number, group: Group | null): number {
    const fl = this.fl;
    const serial = this.serial;
    this.serial = (serial + 1) & 0xffff;
    const i = fl.slotOf(serial);
    if (fl.used(i)) this.expire(i, 'evicted unanswered from the window ring');
    if (fl.count === 0) this.lastScanMs = now;
    fl.occupy(serial, msgId, now, seq, group);
    this.lastSentMs = now;
    const st = this.sh.stats;
    st.sent++;
    st.sentByKind[kindOf(msgId)]++;
    return serial;
  }

  // ---- answers -------------------------------------------------------------------------------

  private onData(s: Socket, chunk: Buffer): void {
    if (this.socket !== s) return;
    const now = this.sh.clock();
    this.nowMs = now;
    this.sh.stats.bytesReceived += chunk.length;
    this.splitter.push(chunk, this);
    if (this.state === S_ONLINE) this.pump(now);
    else this.flush(now);
    this.schedule(now);
  }

  /** FrameSplitter callback: one unescaped platform frame (a view, valid during the call). */
  frame(f: Buffer): void {
    const st = this.sh.stats;
    const h = this.frameInfo;
    if (!readPlatformFrame(f, h)) {
      st.badAnswers++;
      return;
    }
    const b = h.bodyStart;
    if (h.msgId === 0x8001 && h.bodyEnd - b >= 5) {
      this.onAnswer((f[b] << 8) | f[b + 1], (f[b + 2] << 8) | f[b + 3], f[b + 4]);
    } else if (h.msgId === 0x8100 && h.bodyEnd - b >= 3) {
      this.onRegisterAnswer(f.subarray(b, h.bodyEnd));
    } else {
      st.platformRequests++;
      if (h.msgId === 0x8003) this.onResendRequest(f.subarray(b, h.bodyEnd), h.layout);
    }
  }

  /** FrameSplitter callback: a candidate frame from the gateway that could not be unescaped. */
  error(_code: DecodeErrorCode, _raw: Buffer): void {
    this.sh.stats.badAnswers++;
  }

  private onAnswer(serial: number, msgId: number, result: number): void {
    const fl = this.fl;
    const i = fl.find(serial, msgId);
    const st = this.sh.stats;
    if (i < 0) {
      st.unmatchedAnswers++;
      return;
    }
    const now = this.nowMs;
    st.answer(kindOf(msgId), result, (now - fl.sentAt[i]) * 1000);
    if (fl.done[i] === 0) {
      fl.done[i] = 1;
      const group = fl.group[i];
      if (group !== null) this.settleGroup(group, result);
      else if (msgId === 0x0200) this.settle(fl.seq[i], result);
      else if (msgId === 0x0102) this.onAuthAnswer(result, now);
    }
    if (--fl.expect[i] === 0) fl.release(i);
  }

  private onRegisterAnswer(body: Buffer): void {
    const st = this.sh.stats;
    const d = decode8100(body);
    if (!d.ok) {
      st.badAnswers++;
      return;
    }
    const i = this.fl.find(d.value.replySerial, 0x0100);
    if (i < 0) {
      st.unmatchedAnswers++;
      return;
    }
    const now = this.nowMs;
    st.answer(KIND_REGISTER, d.value.result, (now - this.fl.sentAt[i]) * 1000);
    this.fl.release(i);
    if (this.state !== S_REGISTERING) return;
    if (d.value.result === 0 && d.value.authCode) {
      this.authCode = d.value.authCode;
      this.authBody = null;
      this.state = S_AUTHENTICATING;
      this.sendAuth(now);
    } else {
      st.fail(`register answered ${d.value.result}`);
      this.disconnect('retry', now);
    }
  }

  private onAuthAnswer(result: number, now: number): void {
    if (this.state !== S_AUTHENTICATING) return;
    const st = this.sh.stats;
    if (result !== 0) {
      // The gateway does not know this code (any more): register again on this connection.
      st.fail(`authenticate answered ${result}`);
      this.authCode = null;
      this.authBody = null;
      this.state = S_REGISTERING;
      this.sendRegister(now);
      return;
    }
    this.state = S_ONLINE;
    st.online++;
    if (!this.everOnline) {
      this.everOnline = true;
      const interval = this.sh.cfg.intervalMs;
      // Spread the fleet's reports evenly over the interval.
      this.nextReportMs = interval > 0 ? now + this.sh.rng.next() * interval : now;
    }
  }

  /** The gateway asks for fragments it did not get (SPEC §7.4): resend them byte for byte. */
  private onResendRequest(body: Buffer, layout: '2013' | '2019'): void {
    const st = this.sh.stats;
    const d = decode8003(body, { layout, utcOffsetMinutes: 480 });
    if (!d.ok) {
      st.badAnswers++;
      return;
    }
    const group = this.groupsByFirst.get(d.value.firstSerial);
    if (!group || !group.frames) {
      st.fail('0x8003 for a message already given up');
      return;
    }
    for (const idx of d.value.indexes) {
      const frame = group.frames[idx - 1];
      if (!frame) continue;
      this.resendFrame(frame);
      st.fragmentsResent++;
      const i = this.fl.slotOf(group.firstSerial + idx - 1);
      if (this.fl.group[i] === group && this.fl.held[i] === 1) {
        this.fl.held[i] = 0;
        this.fl.sentAt[i] = this.nowMs;
      }
    }
  }

  private resendFrame(frame: Buffer): void {
    const out = this.sh.out;
    if (out.len + frame.length > out.buf.length) this.flush(this.nowMs);
    frame.copy(out.buf, out.len);
    out.len += frame.length;
  }

  private settle(seq: number, result: number): void {
    const log = this.log;
    if (seq < log.base || log.getState(seq) !== ST_SENT) return;
    const st = this.sh.stats;
    if (result === 0) {
      log.setState(seq, ST_ANSWERED);
      st.positionsAnswered++;
    } else {
      log.setState(seq, ST_REJECTED);
      st.positionsRejected++;
      st.fail(`position answered ${result}`);
    }
  }

  private settleGroup(g: Group, result: number): void {
    if (result !== 0) g.failed = true;
    if (--g.left > 0 || g.lost) return;
    this.groupsByFirst.delete(g.firstSerial);
    for (const seq of g.seqs) this.settle(seq, g.failed ? (result !== 0 ? result : 1) : 0);
  }

  // ---- losses --------------------------------------------------------------------------------

  /** A message that will not be answered: counted, and its positions back in the blind-area buffer. */
  private expire(i: number, reason: string): void {
    const fl = this.fl;
    this.sh.stats.lost(fl.done[i] === 1 ? 'duplicate copy not answered' : reason, fl.expect[i]);
    if (fl.done[i] === 0) {
      const g = fl.group[i];
      if (g !== null) this.loseGroup(g);
      else if (fl.seq[i] >= 0) this.requeue(fl.seq[i]);
    }
    fl.release(i);
  }

  private loseGroup(g: Group): void {
    if (g.lost) return;
    g.lost = true;
    this.groupsByFirst.delete(g.firstSerial);
    for (const seq of g.seqs) this.requeue(seq);
  }

  private requeue(seq: number): void {
    if (seq >= this.log.base && this.log.getState(seq) === ST_SENT) this.backlog.push(seq);
  }

  private scanTimeouts(now: number): void {
    this.lastScanMs = now;
    const fl = this.fl;
    const limit = now - this.sh.cfg.timeoutMs;
    for (let i = 0; i <= fl.mask; i++) {
      if (!fl.used(i) || fl.sentAt[i] >= limit) continue;
      const g = fl.group[i];
      if (fl.held[i] === 1 && g !== null && g.frames !== null && this.socket !== null) {
        // Never asked for: retransmit it, as a terminal does after its answer timeout (SPEC §9).
        this.resendFrame(g.frames[(fl.serial[i] - g.firstSerial) & 0xffff]);
        fl.held[i] = 0;
        fl.sentAt[i] = now;
        this.sh.stats.fragmentsResent++;
      } else {
        this.expire(i, 'no answer within the timeout');
      }
    }
  }

  private loseAll(reason: string): void {
    const fl = this.fl;
    if (fl.count === 0) return;
    for (let i = 0; i <= fl.mask; i++) if (fl.used(i)) this.expire(i, reason);
  }
}
