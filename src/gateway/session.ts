/**
 * One terminal connection: frame splitting, header checks, session rules (register, authenticate,
 * takeover, idle and pre-auth timeouts), spooling and answers (SPEC §8–9). Only the session writes to
 * its socket. It takes any Duplex, so tests can drive it without a network.
 */
import type { Duplex } from 'node:stream';
import { FrameSplitter, decodePacketAt, PhoneCache, replyHeader, type DecodeErrorCode, type Header, type HeaderSpec } from '../../protocols/jt808/index.js';
import { decode0100, decode0102, encode8100 } from '../../protocols/jt808/messages/register.js';
import { encode8003, encode8004 } from '../../protocols/jt808/messages/general.js';
import { encode8800 } from '../../protocols/jt808/messages/multimedia.js';
import type { MissingFragments } from '../../protocols/jt808/subpackage.js';
import { FLAG_AUTHENTICATED, FLAG_BAD_CHECKSUM, FLAG_FRAGMENT, FLAG_REASSEMBLED, recordSize, writeRecordAt } from '../decode/record.js';
import type { AckGate, HeldReplies } from './ack-gate.js';
import type { AnswerOut, AnswerSink } from './reply-writer.js';
import type { FragmentStore } from './fragments.js';
import type { RecordWriter } from './record-writer.js';
import { classify, RESULT_FAILURE, RESULT_MESSAGE_ERROR, RESULT_OK, RESULT_UNSUPPORTED } from './message-classes.js';
import type { SessionTable } from './session-table.js';
import type { TerminalRegistry } from './terminal-registry.js';
import type { GatewayLogger, GatewayMetrics, GatewaySettings, SessionState } from './types.js';

/** Everything sessions share; built once by the server. */
export interface GatewayContext {
  settings: GatewaySettings;
  spool: RecordWriter;
  gate: AckGate;
  registry: TerminalRegistry;
  sessions: SessionTable<Session>;
  metrics: GatewayMetrics;
  log: GatewayLogger;
  now(): number;
  fragments: FragmentStore;
  /** One unescape buffer for every connection's splitter: frames are handled synchronously. */
  unescapeScratch: Buffer;
  /** The splitter of every connection between frames (a connection gets its own while a frame spans reads). */
  splitter: FrameSplitter;
  /** Shared output slabs every answer is escaped into. */
  out: AnswerOut;
  /** Called once when a session's socket has closed. */
  detach(session: Session): void;
}

const PAUSE_SPOOL = 1;
const PAUSE_DRAIN = 2;

const MSG_TIME_QUERY = 0x0004;
const MSG_MEDIA_DATA = 0x0801;
const MSG_LOGOUT = 0x0003;

/** Socket → session, for listeners shared by every socket (one closure per socket and event cost ~0.4 KB). */
const SESSION = Symbol('session');
type Sock = Duplex & { [SESSION]?: Session };

function onSocketData(this: Sock, chunk: Buffer): void {
  this[SESSION]!.onData(chunk);
}

function onSocketError(this: Sock, err: Error): void {
  this[SESSION]!.close(`socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
}

function onSocketClose(this: Sock): void {
  const session = this[SESSION]!;
  session.close('peer closed');
  session.ctx.detach(session);
}

function onSocketDrain(this: Sock): void {
  this[SESSION]!.resume(PAUSE_DRAIN);
}

/**
 * ms as a small integer while it fits (12 days): V8 keeps it inline in the object. A double (what
 * `Date.now() - t` gives) turns the field into a boxed number in every session.
 */
function small(ms: number): number {
  return ms >= -0x40000000 && ms < 0x40000000 ? ms | 0 : ms;
}

/** IPv4 dotted quad → int32 (a number, not a string, per connection); anything else stays text. */
function compactIp(ip: string): number | string {
  const m = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) : ip;
}

/**
 * Kept small: ~19,000 of these are held per process (bench/connections.ts). Times are kept as ms since
 * `openedAtMs` (small integers V8 stores inline, where absolute times would each take a heap number);
 * timeouts are checked by the gateway's periodic sweep (`expire`), not by a timer per connection.
 */
export class Session implements HeldReplies, AnswerSink {
  terminalId: string | null = null;
  state: SessionState = 'connected';
  readonly openedAtMs: number;
  /** Protocol layout of the last frame ('2013' also covers 2011). */
  layout: '2013' | '2019' | null = null;
  protocolVersion: number | null = null;

  private readonly peerIp: number | string;
  private readonly peerPort: number;
  /** Own splitter only while a frame spans reads; otherwise the shared one resumes from `splitState`. */
  private splitter: FrameSplitter | null = null;
  private splitState = 0;
  private readonly phones = new PhoneCache();
  /** Phone and version flag of the last good frame: what a later 0x8003 is addressed with. */
  private phoneBcd = '';
  private versionFlag = false;
  private serialOut = 0;
  private lastPosition = 0;
  /** Answers of this session waiting in the AckGate. */
  private held = 0;
  private closed = false;
  private inData = false;
  private pauseReasons = 0;
  /** ms since openedAtMs: last byte read, last frame with a readable header, start of a drain pause. */
  private readAt = 0;
  /** A slow-loris dribble of bytes without a frame does not keep a connection open. */
  private framedAt = 0;
  private drainAt = 0;
  private authFailures = 0;

  constructor(
    readonly connectionId: number,
    peerIp: string,
    peerPort: number,
    private readonly socket: Duplex,
    readonly ctx: GatewayContext,
  ) {
    this.openedAtMs = ctx.now();
    this.peerIp = compactIp(peerIp);
    this.peerPort = peerPort;
    ctx.metrics.sessionState(null, 'connected');
    (socket as Sock)[SESSION] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get heldReplies(): number {
    return this.held;
  }

  get lastSeenMs(): number {
    return this.openedAtMs + this.readAt;
  }

  /** The peer as `ip:port`. */
  get remote(): string {
    const ip = this.peerIp;
    const text = typeof ip === 'string' ? ip : `${ip >>> 24}.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`;
    return `${text}:${this.peerPort}`;
  }

  /** The gateway's sweep: closes the connection past its idle, pre-auth or drain timeout. */
  expire(now: number): void {
    if (this.closed) return;
    const s = this.ctx.settings;
    const age = now - this.openedAtMs;
    // Whichever deadline passed first names the reason, as separate timers would have.
    const idleLeft = s.idleTimeoutMs > 0 ? this.readAt + s.idleTimeoutMs - age : Infinity;
    const authLeft = s.requireAuth && s.authTimeoutMs > 0 && this.state !== 'authenticated' ? s.authTimeoutMs - age : Infinity;
    if (idleLeft <= 0 || authLeft <= 0) this.close(authLeft <= idleLeft ? 'not authenticated in time' : 'idle');
    else if ((this.pauseReasons & PAUSE_DRAIN) !== 0 && age - this.drainAt >= s.drainTimeoutMs) this.close('drain_timeout (peer does not read)');
  }

  // ---- input ---------------------------------------------------------------------------------

  /** Socket 'data' (through a shared listener). */
  onData(chunk: Buffer): void {
    if (this.closed) return;
    const at = small(this.ctx.now() - this.openedAtMs);
    this.readAt = at;
    // The sweep sees any byte as activity; a peer that never completes a frame is idle all the same.
    const idle = this.ctx.settings.idleTimeoutMs;
    if (idle > 0 && at - this.framedAt >= idle) {
      this.close('idle (no complete frame)');
      return;
    }
    this.inData = true;
    try {
      let sp = this.splitter;
      if (sp === null) {
        sp = this.ctx.splitter;
        sp.resume(this.splitState);
      }
      sp.push(chunk, this);
      const state = sp.idleState;
      if (state >= 0) {
        this.splitState = state;
        this.splitter = null;
      } else if (sp === this.ctx.splitter) {
        this.splitter = new FrameSplitter(sp.maxFrameBytes, this.ctx.unescapeScratch);
        sp.handOver(this.splitter);
      }
    } catch (err) {
      // A bug must cost one connection, never the process.
      this.ctx.log.error({ err, conn: this.connectionId, terminal: this.terminalId }, 'session failed on input');
      this.close('internal error');
    } finally {
      this.inData = false;
    }
    this.ctx.out.flush(this);
  }

  /** FrameSplitter callback: one unescaped frame (a view valid during this call). */
  frame(unescaped: Buffer): void {
    this.frameAt(unescaped, 0, unescaped.length, undefined);
  }

  /**
   * FrameSplitter callback on the per-frame path: the frame is `buf[start, end)` (valid during this
   * call), `xor` the XOR of all its bytes (the splitter computed it while scanning). No view of the frame
   * is made unless something keeps the body (bench/decode.ts: ≈30 % of the main thread's decode cost).
   */
  frameAt(buf: Buffer, start: number, end: number, xor: number | undefined): void {
    const decoded = decodePacketAt(buf, start, end, this.phones, xor);
    if (!decoded.ok) {
      this.badFrame(decoded.code, buf.subarray(start, end));
      const partial = (decoded as { header?: Header }).header;
      if (partial) this.answerGeneral(partial, RESULT_MESSAGE_ERROR, this.lastPosition);
      return;
    }
    const p = decoded.value;
    const header = p.header;
    this.framedAt = this.readAt;
    this.ctx.metrics.frame(header.msgId);
    this.layout = header.layout;
    this.protocolVersion = header.protocolVersion;
    this.phoneBcd = header.phoneBcd;
    this.versionFlag = header.versionFlag;
    let flags = 0;
    if (!p.checksumOk) {
      this.badFrame('BAD_CHECKSUM', buf.subarray(start, end));
      if (this.ctx.settings.checksum === 'strict') {
        this.answerGeneral(header, RESULT_MESSAGE_ERROR, this.lastPosition);
        return;
      }
      flags |= FLAG_BAD_CHECKSUM;
    }
    if (header.encryption !== 0) {
      // RSA bodies need per-terminal keys we do not hold: say "not supported" rather than guess.
      this.badFrame('ENCRYPTED', buf.subarray(start, end));
      this.answerGeneral(header, RESULT_UNSUPPORTED, this.lastPosition);
      return;
    }
    if (this.terminalId !== null && this.state === 'authenticated' && header.terminalId !== this.terminalId) {
      // A session authenticated as one terminal cannot speak for another, whole messages and fragments alike
      // (SECURITY.md).
      this.ctx.metrics.badFrame('TERMINAL_MISMATCH');
      this.answerGeneral(header, RESULT_FAILURE, this.lastPosition);
      return;
    }
    if (header.subpackage) this.onFragment(header, buf.subarray(p.bodyStart, p.bodyEnd), flags);
    else this.onMessage(header, buf, p.bodyStart, p.bodyEnd, flags, false);
  }

  /** FrameSplitter callback: a candidate frame that could not be used. */
  error(code: DecodeErrorCode, raw: Buffer): void {
    this.badFrame(code, raw);
  }

  private badFrame(reason: string, raw: Buffer): void {
    this.ctx.metrics.badFrame(reason);
    if (this.ctx.log.isLevelEnabled('debug')) {
      // An 0x0102 body is an auth code: never logged, not even as hex (SECURITY.md); its id and properties are.
      const auth = raw.length >= 2 && raw[0] === 0x01 && raw[1] === 0x02;
      const hex = auth ? `${raw.subarray(0, 4).toString('hex')}…` : raw.subarray(0, 64).toString('hex');
      this.ctx.log.debug({ conn: this.connectionId, terminal: this.terminalId, reason, hex }, 'bad frame');
    }
  }

  // ---- messages ------------------------------------------------------------------------------

  /** The message body is `buf[start, end)`: a view of it is made only where something keeps it. */
  private onMessage(header: Header, buf: Buffer, start: number, end: number, flags: number, reassembled: boolean): void {
    const cls = classify(header.msgId);
    switch (cls) {
      case 'register':
        this.onRegister(header, buf.subarray(start, end), flags);
        return;
      case 'auth':
        this.onAuthenticate(header, buf.subarray(start, end), flags);
        return;
      case 'link': {
        // Heartbeat, logout, time query: answered even before auth; spooled once identified, for "last seen".
        const pos = this.isAuthorised() ? this.spool(header, buf, start, end, flags | this.authFlag()) : this.lastPosition;
        if (pos < 0) return;
        if (header.msgId === MSG_TIME_QUERY) this.answer(replyHeader(header, 0x8004, this.nextSerial()), encode8004(this.ctx.now()), pos, RESULT_OK);
        else this.answerGeneral(header, RESULT_OK, pos);
        if (header.msgId === MSG_LOGOUT) this.ctx.log.debug({ conn: this.connectionId, terminal: this.terminalId }, 'logout');
        return;
      }
      case 'data':
      case 'reply': {
        if (!this.isAuthorised()) {
          this.ctx.metrics.badFrame('UNAUTHENTICATED');
          if (cls === 'data') this.answerGeneral(header, RESULT_FAILURE, this.lastPosition);
          return;
        }
        if (this.terminalId === null) this.identify(header.terminalId);
        const pos = this.spool(header, buf, start, end, flags | this.authFlag());
        if (pos < 0) return;
        if (cls === 'data') {
          if (header.msgId === MSG_MEDIA_DATA && reassembled) {
            this.answer(replyHeader(header, 0x8800, this.nextSerial()), encode8800({ mediaId: end - start >= 4 ? buf.readUInt32BE(start) : 0 }), pos, RESULT_OK);
          } else if (!reassembled) this.answerGeneral(header, RESULT_OK, pos);
        }
        return;
      }
      default:
        this.answerGeneral(header, RESULT_UNSUPPORTED, this.lastPosition);
    }
  }

  private isAuthorised(): boolean {
    return this.state === 'authenticated' || !this.ctx.settings.requireAuth;
  }

  private authFlag(): number {
    return this.state === 'authenticated' ? FLAG_AUTHENTICATED : 0;
  }

  /** Binds this connection to a terminal id (takeover of any older connection). */
  private identify(terminalId: string): void {
    if (this.terminalId !== null && this.terminalId !== terminalId) this.ctx.sessions.release(this.terminalId, this);
    this.terminalId = terminalId;
    this.ctx.sessions.claim(terminalId, this);
  }

  private setState(next: SessionState): void {
    if (next === this.state) return;
    this.ctx.metrics.sessionState(this.state, next);
    this.state = next;
  }

  private onRegister(header: Header, body: Buffer, flags: number): void {
    const reg = decode0100(body, { layout: header.layout, utcOffsetMinutes: this.ctx.settings.utcOffsetMinutes });
    if (!reg.ok) {
      this.ctx.metrics.badFrame(`0100_${reg.code}`);
      this.answerGeneral(header, RESULT_MESSAGE_ERROR, this.lastPosition);
      return;
    }
    const pos = this.spool(header, body, 0, body.length, flags);
    if (pos < 0) return;
    const v = reg.value;
    const info = { plate: v.plate, plateColor: v.plateColor, makerId: v.makerId, model: v.model, deviceId: v.terminalId, version: v.version };
    const serial = header.serial;
    this.ctx.registry.register(header.terminalId, info, this.ctx.now()).then(
      (outcome) => {
        if (this.closed) return;
        if (outcome.result === 0 && this.state === 'connected') this.setState('registered');
        const authCode = outcome.result === 0 ? outcome.authCode : undefined;
        this.answer(replyHeader(header, 0x8100, this.nextSerial()), encode8100({ replySerial: serial, result: outcome.result, authCode }), pos, outcome.result);
        if (!this.inData) this.ctx.out.flush(this);
      },
      (err: unknown) => {
        // Not persisted → not answered: the terminal retries the registration.
        this.ctx.log.error({ err, conn: this.connectionId, terminal: header.terminalId }, 'registration could not be saved');
      },
    );
  }

  private onAuthenticate(header: Header, body: Buffer, flags: number): void {
    const auth = decode0102(body, { layout: header.layout, utcOffsetMinutes: this.ctx.settings.utcOffsetMinutes });
    if (!auth.ok) {
      this.ctx.metrics.badFrame(`0102_${auth.code}`);
      this.answerGeneral(header, RESULT_MESSAGE_ERROR, this.lastPosition);
      return;
    }
    if (!this.ctx.registry.verify(header.terminalId, auth.value.authCode)) {
      this.ctx.metrics.badFrame('AUTH_FAILED');
      this.authFailures++;
      this.ctx.log.info({ conn: this.connectionId, terminal: header.terminalId, peer: this.remote, failures: this.authFailures }, 'authentication failed');
      const max = this.ctx.settings.maxAuthFailures;
      // Guessing codes costs a connection every few tries (and new connections are rate-limited per address).
      if (max > 0 && this.authFailures >= max) this.close(`auth_failures (${this.authFailures} wrong codes)`);
      else this.answerGeneral(header, RESULT_FAILURE, this.lastPosition);
      return;
    }
    this.identify(header.terminalId);
    this.setState('authenticated');
    const pos = this.spool(header, body, 0, body.length, flags | FLAG_AUTHENTICATED);
    if (pos < 0) return;
    this.answerGeneral(header, RESULT_OK, pos);
  }

  private onFragment(header: Header, body: Buffer, flags: number): void {
    if (!this.isAuthorised()) {
      this.ctx.metrics.badFrame('UNAUTHENTICATED');
      this.answerGeneral(header, RESULT_FAILURE, this.lastPosition);
      return;
    }
    if (this.terminalId === null) this.identify(header.terminalId);
    // Each fragment is spooled (raw archive) and acknowledged once durable (SPEC §8: terminals wait for
    // a 0x8001 per fragment). Only the reassembled message is decoded downstream.
    const pos = this.spool(header, body, 0, body.length, flags | FLAG_FRAGMENT | this.authFlag());
    if (pos < 0) return;
    const added = this.ctx.fragments.add(this.terminalId ?? header.terminalId, header, body, this.lastSeenMs);
    if (added.status === 'rejected') {
      this.ctx.metrics.badFrame(`FRAGMENT_${added.reason}`);
      this.answerGeneral(header, RESULT_MESSAGE_ERROR, pos);
      return;
    }
    // Sets given up to respect the memory bounds (or replaced by a newer message) are counted, never silent.
    if (added.evicted) for (const e of added.evicted) this.ctx.metrics.badFrame(`FRAGMENT_${e.reason}`);
    for (let i = 0; i < (added.droppedElsewhere ?? 0); i++) this.ctx.metrics.badFrame('FRAGMENT_TOTAL_BOUND');
    this.answerGeneral(header, RESULT_OK, pos);
    if (added.status === 'complete') {
      const whole: Header = { ...header, serial: added.firstSerial, subpackage: false, packetTotal: 0, packetIndex: 0 };
      this.onMessage(whole, added.body, 0, added.body.length, flags | FLAG_REASSEMBLED, true);
    }
  }

  /** A fragment set of this terminal timed out: ask for the missing pieces (0x8003, SPEC §8). */
  requestResend(m: MissingFragments): void {
    const layout = this.layout;
    if (layout === null || this.closed) return;
    const spec = { msgId: 0x8003, layout, phoneBcd: this.phoneBcd, serial: this.nextSerial(), protocolVersion: this.protocolVersion ?? 1, versionFlag: this.versionFlag };
    this.answer(spec, encode8003({ firstSerial: m.firstSerial, indexes: m.missing }, layout), this.lastPosition, RESULT_OK);
    if (!this.inData) this.ctx.out.flush(this);
  }

  // ---- spool and answers ---------------------------------------------------------------------

  /**
   * Stores one record, body `buf[start, end)`, written straight into the spool's write buffer; returns its
   * end position or -1 (spool refused: no answer, socket paused). The receive stamp is the time of the read
   * that brought the frame: one clock read per socket read, not one per message.
   */
  private spool(header: Header, buf: Uint8Array, start: number, end: number, flags: number): number {
    const ctx = this.ctx;
    const w = ctx.spool;
    const size = recordSize(header.phoneBcd, end - start);
    const at = w.reserve(size);
    let pos = -1;
    if (at >= 0) {
      writeRecordAt(w.reservedBuffer, at, flags, ctx.settings.utcOffsetMinutes, header, buf, start, end);
      pos = w.seal(size, this.lastSeenMs);
    }
    if (pos < 0) {
      // Not stored → not answered; the terminal will resend. Stop reading until the spool recovers.
      ctx.metrics.badFrame('SPOOL_REFUSED');
      this.pause(PAUSE_SPOOL);
      return -1;
    }
    this.lastPosition = pos;
    return pos;
  }

  private answerGeneral(request: Header, result: number, position: number): void {
    if (this.closed) return;
    const out = this.ctx.out;
    const start = out.general(request, this.nextSerial(), result, this.phones);
    this.queue(out.buf, start, out.at, position, result);
  }

  /** Queues an answer that may be written once the spool is durable up to `position`. */
  private answer(spec: HeaderSpec, body: Uint8Array, position: number, result: number): void {
    if (this.closed) return;
    const out = this.ctx.out;
    const start = out.frame(spec, body);
    this.queue(out.buf, start, out.at, position, result);
  }

  /** buf[start, end) goes into this read's run of answers, or waits in the AckGate for `position`. */
  private queue(buf: Buffer, start: number, end: number, position: number, result: number): void {
    const ctx = this.ctx;
    ctx.metrics.answer(result);
    if (ctx.settings.ack === 'received' || (this.held === 0 && position <= ctx.spool.durablePosition)) {
      ctx.out.append(this, buf, start, end);
      return;
    }
    ctx.out.flush(this); // answers already durable go first
    this.held++;
    ctx.gate.hold(position, this, buf, start, end);
  }

  private nextSerial(): number {
    const s = this.serialOut;
    this.serialOut = (s + 1) & 0xffff;
    return s;
  }

  /** AckGate callback after a group commit. */
  releaseHeld(buf: Buffer, start: number, end: number, count: number): void {
    this.held -= count;
    this.sendAnswers(buf, start, end);
  }

  /** One write for a run of answers (a view of the shared slab: no copy). */
  sendAnswers(buf: Buffer, start: number, end: number): void {
    if (this.closed) return;
    if (!this.socket.write(buf.subarray(start, end))) this.pause(PAUSE_DRAIN);
  }

  // ---- flow control and life cycle -----------------------------------------------------------

  pause(reason: number = PAUSE_SPOOL): void {
    if (this.closed) return;
    if (this.pauseReasons === 0) {
      this.socket.pause();
      this.ctx.metrics.pausedSockets(1);
    }
    if (reason === PAUSE_DRAIN && (this.pauseReasons & PAUSE_DRAIN) === 0) {
      // The sweep closes the connection if 'drain' does not come within drainTimeoutMs.
      this.drainAt = small(this.ctx.now() - this.openedAtMs);
      this.socket.on('drain', onSocketDrain);
    }
    this.pauseReasons |= reason;
  }

  resume(reason: number = PAUSE_SPOOL): void {
    if ((this.pauseReasons & reason) === 0) return;
    if (reason === PAUSE_DRAIN) this.socket.off('drain', onSocketDrain);
    this.pauseReasons &= ~reason;
    if (this.pauseReasons === 0 && !this.closed) {
      this.socket.resume();
      this.ctx.metrics.pausedSockets(-1);
    }
  }

  /** Idempotent. Replies still held for durability are dropped with the socket. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pauseReasons !== 0) this.ctx.metrics.pausedSockets(-1);
    if (this.terminalId !== null) this.ctx.sessions.release(this.terminalId, this);
    this.ctx.metrics.sessionState(this.state, null);
    this.ctx.metrics.connectionClosed(reason === 'peer closed' ? 'peer' : reason.split(' ')[0]);
    this.ctx.log.debug({ conn: this.connectionId, terminal: this.terminalId, peer: this.remote, reason }, 'connection closed');
    this.socket.destroy();
  }
}

