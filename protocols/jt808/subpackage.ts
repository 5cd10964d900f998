/**
 * Subpackaging (SPEC §8): splitting a long body into fragments and reassembling received ones.
 *
 * Reassembly rules: key (terminal, msgId, total); fragments in any order; serials are not assumed
 * consecutive (SPEC §4.5); bodies are concatenated in index order and only then parsed. The codec has no
 * clock: every call takes `nowMs`. Memory is bounded by `maxBytes` and `maxSets` (oldest set evicted).
 * Fragment bodies handed in are views (splitter scratch), so they are copied once on arrival.
 */
import { encodePacket } from './packet.js';
import type { Header, HeaderSpec } from './header.js';
import { MAX_BODY_LENGTH } from './header.js';

/** go-jt808 splits at 1000 bytes; the 10-bit length field allows 1023 (SPEC §8). */
export const DEFAULT_MAX_FRAGMENT = 1000;

/**
 * Splits a body into fragments of at most `maxFragment` bytes. The fragments are views of `body`.
 * An empty body gives one empty fragment.
 */
export function splitBody(body: Buffer, maxFragment: number = DEFAULT_MAX_FRAGMENT): Buffer[] {
  if (!Number.isInteger(maxFragment) || maxFragment < 1 || maxFragment > MAX_BODY_LENGTH) {
    throw new RangeError(`fragment size ${maxFragment} outside 1..${MAX_BODY_LENGTH}`);
  }
  if (body.length <= maxFragment) return [body];
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += maxFragment) out.push(body.subarray(at, at + maxFragment));
  if (out.length > 0xffff) throw new RangeError(`${out.length} fragments exceed the WORD packet total`);
  return out;
}

/**
 * Wire frames for a body that may exceed one frame. Fragment k (1-based) carries total/index in its
 * header and serial `spec.serial + k - 1` (wrapping at 0xFFFF). A body that fits one fragment gives one
 * ordinary, unsubpackaged frame. The caller's serial counter advances by the number of frames.
 */
export function encodeSubpackaged(spec: HeaderSpec, body: Buffer, maxFragment: number = DEFAULT_MAX_FRAGMENT): Buffer[] {
  const parts = splitBody(body, maxFragment);
  if (parts.length === 1) return [encodePacket({ ...spec, packetTotal: undefined, packetIndex: undefined }, body)];
  return parts.map((part, i) =>
    encodePacket({ ...spec, serial: (spec.serial + i) & 0xffff, packetTotal: parts.length, packetIndex: i + 1 }, part),
  );
}

export interface ReassemblerOptions {
  /** Time without a new fragment after which a set is reported missing (and later dropped). */
  timeoutMs: number;
  /** Bytes of fragment bodies held across all sets. */
  maxBytes: number;
  /** Incomplete sets held at once. */
  maxSets: number;
  /**
   * How many times `expire` reports a set's missing fragments (one 0x8003 each) before dropping it.
   * Default 1: ask once, wait another timeout for the resent fragments, then give up.
   */
  maxResendRounds?: number;
}

export const DEFAULT_REASSEMBLER_OPTIONS: Required<ReassemblerOptions> = {
  timeoutMs: 30_000,
  maxBytes: 1 << 20,
  maxSets: 64,
  maxResendRounds: 1,
};

/** An incomplete set: what the gateway needs for a 0x8003 (SPEC §7.4). */
export interface MissingFragments {
  terminalId: string;
  msgId: number;
  total: number;
  /**
   * Serial of fragment 1 when it arrived; otherwise derived from the lowest received fragment as
   * `serial - (index - 1)` (the standard's consecutive serials; the best a 0x8003 can name).
   */
  firstSerial: number;
  /** 1-based indexes not received, ascending. */
  missing: number[];
}

/** A set thrown away to respect the memory bounds, or replaced by a newer message with the same key. */
export interface EvictedSet extends MissingFragments {
  reason: 'MEMORY_BOUND' | 'SUPERSEDED';
}

export type RejectReason = 'NOT_SUBPACKAGED' | 'INDEX_OUT_OF_RANGE' | 'FRAGMENT_TOO_LARGE';

export type ReassemblyResult =
  | { status: 'partial'; duplicate?: true; evicted?: EvictedSet[] }
  | { status: 'complete'; body: Buffer; firstSerial: number; msgId: number; terminalId: string; total: number; evicted?: EvictedSet[] }
  | { status: 'rejected'; reason: RejectReason };

interface FragmentSet {
  key: string;
  terminalId: string;
  msgId: number;
  total: number;
  bodies: (Buffer | undefined)[];
  serials: number[];
  received: number;
  bytes: number;
  deadline: number;
  rounds: number;
}

/** Serials of a completed set, kept for one timeout so a retransmitted fragment is not a new set. */
interface Completed {
  until: number;
  serials: number[];
}

const MSG_MEDIA_DATA = 0x0801;
const MEDIA_HEAD = 8;
const MEDIA_HEAD_AND_LOCATION = 36;

/**
 * 0x0801: fragment 1 carries the media head (+ location); some devices repeat it at the start of every
 * fragment (SmallChi/JT808#51, SPEC §8). A later fragment starting with fragment 1's first 8 bytes
 * (DWORD media id, type, format, event, channel) has that copy removed, with the location if repeated too.
 */
function stripRepeatedMediaHead(first: Buffer, part: Buffer): Buffer {
  if (first.length < MEDIA_HEAD || part.length < MEDIA_HEAD || !part.subarray(0, MEDIA_HEAD).equals(first.subarray(0, MEDIA_HEAD))) return part;
  const withLocation =
    first.length >= MEDIA_HEAD_AND_LOCATION &&
    part.length >= MEDIA_HEAD_AND_LOCATION &&
    part.subarray(MEDIA_HEAD, MEDIA_HEAD_AND_LOCATION).equals(first.subarray(MEDIA_HEAD, MEDIA_HEAD_AND_LOCATION));
  return part.subarray(withLocation ? MEDIA_HEAD_AND_LOCATION : MEDIA_HEAD);
}

function missingOf(set: FragmentSet): MissingFragments {
  const missing: number[] = [];
  let lowest = -1;
  for (let i = 0; i < set.total; i++) {
    if (set.bodies[i] === undefined) missing.push(i + 1);
    else if (lowest < 0) lowest = i;
  }
  const firstSerial = lowest < 0 ? 0 : (set.serials[lowest] - lowest) & 0xffff;
  return { terminalId: set.terminalId, msgId: set.msgId, total: set.total, firstSerial, missing };
}

/**
 * Pure reassembly state machine; one per connection or one per gateway (the key includes the terminal).
 */
export class Reassembler {
  private readonly opts: Required<ReassemblerOptions>;
  /** Insertion order = least recently active first (a set is re-inserted on every fragment). */
  private readonly sets = new Map<string, FragmentSet>();
  private readonly completed = new Map<string, Completed>();
  private bytes = 0;
  /** Sets given up after their resend rounds (for metrics). */
  droppedSets = 0;

  constructor(options: Partial<ReassemblerOptions> = {}) {
    const o = { ...DEFAULT_REASSEMBLER_OPTIONS, ...options };
    for (const k of ['timeoutMs', 'maxBytes', 'maxSets'] as const) {
      if (!(o[k] > 0)) throw new RangeError(`Reassembler ${k} must be > 0, got ${o[k]}`);
    }
    if (!(o.maxResendRounds >= 0)) throw new RangeError(`Reassembler maxResendRounds must be >= 0, got ${o.maxResendRounds}`);
    this.opts = o;
  }

  /** Incomplete sets held. */
  get pendingSets(): number {
    return this.sets.size;
  }

  /** Fragment bytes held. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Adds one received fragment (`body` may be a view: it is copied when kept). */
  add(header: Header, body: Buffer, nowMs: number): ReassemblyResult {
    const total = header.packetTotal;
    const index = header.packetIndex;
    if (!header.subpackage || total < 1) return { status: 'rejected', reason: 'NOT_SUBPACKAGED' };
    if (index < 1 || index > total) return { status: 'rejected', reason: 'INDEX_OUT_OF_RANGE' };
    if (body.length > this.opts.maxBytes) return { status: 'rejected', reason: 'FRAGMENT_TOO_LARGE' };
    const key = `${header.terminalId}|${header.msgId}|${total}`;
    const done = this.completed.get(key);
    if (done && done.until > nowMs && done.serials[index - 1] === header.serial) return { status: 'partial', duplicate: true };

    const evicted: EvictedSet[] = [];
    let set = this.sets.get(key);
    if (set && set.bodies[index - 1] !== undefined) {
      if (set.bodies[index - 1]!.equals(body)) return { status: 'partial', duplicate: true };
      // Same index, other bytes: the terminal started a new message with the same key.
      evicted.push({ ...missingOf(set), reason: 'SUPERSEDED' });
      this.remove(set);
      set = undefined;
    }
    if (!set) {
      set = { key, terminalId: header.terminalId, msgId: header.msgId, total, bodies: new Array(total), serials: new Array(total), received: 0, bytes: 0, deadline: 0, rounds: 0 };
    } else {
      this.sets.delete(key); // re-inserted below as the most recently active
    }
    this.sets.set(key, set);
    set.bodies[index - 1] = Buffer.from(body);
    set.serials[index - 1] = header.serial;
    set.received++;
    set.bytes += body.length;
    this.bytes += body.length;
    set.deadline = nowMs + this.opts.timeoutMs;
    this.enforceBounds(evicted);
    const withEvicted = evicted.length > 0 ? { evicted } : {};

    if (!this.sets.has(key)) return { status: 'partial', ...withEvicted }; // evicted itself (alone over maxBytes)
    if (set.received < total) return { status: 'partial', ...withEvicted };
    this.remove(set);
    this.rememberCompleted(key, set.serials, nowMs);
    return {
      status: 'complete',
      body: this.join(set),
      firstSerial: set.serials[0],
      msgId: set.msgId,
      terminalId: set.terminalId,
      total,
      ...withEvicted,
    };
  }

  /**
   * Sets without a new fragment for `timeoutMs`: each is returned (send a 0x8003 for `missing`) and
   * given another timeout for the resent fragments; after `maxResendRounds` it is dropped silently
   * (counted in `droppedSets`).
   */
  expire(nowMs: number): MissingFragments[] {
    const out: MissingFragments[] = [];
    for (const set of [...this.sets.values()]) {
      if (set.deadline > nowMs) continue;
      if (set.rounds >= this.opts.maxResendRounds) {
        this.remove(set);
        this.droppedSets++;
        continue;
      }
      set.rounds++;
      set.deadline = nowMs + this.opts.timeoutMs;
      out.push(missingOf(set));
    }
    for (const [key, c] of this.completed) if (c.until <= nowMs) this.completed.delete(key);
    return out;
  }

  private remove(set: FragmentSet): void {
    this.sets.delete(set.key);
    this.bytes -= set.bytes;
  }

  /** Evicts the least recently active sets until both bounds hold. */
  private enforceBounds(evicted: EvictedSet[]): void {
    while (this.sets.size > this.opts.maxSets || this.bytes > this.opts.maxBytes) {
      const oldest = this.sets.values().next().value as FragmentSet;
      evicted.push({ ...missingOf(oldest), reason: 'MEMORY_BOUND' });
      this.remove(oldest);
    }
  }

  private rememberCompleted(key: string, serials: number[], nowMs: number): void {
    this.completed.delete(key);
    this.completed.set(key, { until: nowMs + this.opts.timeoutMs, serials });
    if (this.completed.size > this.opts.maxSets) this.completed.delete(this.completed.keys().next().value as string);
  }

  private join(set: FragmentSet): Buffer {
    const parts = set.bodies as Buffer[];
    if (set.msgId !== MSG_MEDIA_DATA) return parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return Buffer.concat(parts.map((p, i) => (i === 0 ? p : stripRepeatedMediaHead(parts[0], p))));
  }
}
