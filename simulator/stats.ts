/**
 * Run counters and the answer-latency histogram. Plain numbers and typed arrays, bumped on the hot
 * path; turned into the JSON report once at the end (report.ts).
 */

/** Message kinds the simulator sends, as small indexes for the per-kind counters. */
export const KIND_REGISTER = 0;
export const KIND_AUTH = 1;
export const KIND_HEARTBEAT = 2;
export const KIND_LOCATION = 3;
export const KIND_BATCH = 4;
export const KIND_NAMES = ['0x0100 register', '0x0102 authenticate', '0x0002 heartbeat', '0x0200 location', '0x0704 batch'] as const;

export function kindOf(msgId: number): number {
  switch (msgId) {
    case 0x0100:
      return KIND_REGISTER;
    case 0x0102:
      return KIND_AUTH;
    case 0x0002:
      return KIND_HEARTBEAT;
    case 0x0200:
      return KIND_LOCATION;
    default:
      return KIND_BATCH;
  }
}

/**
 * Log-linear latency histogram in microseconds (HDR-style: 64 sub-buckets per power of two, ≤ 1.6 %
 * error), so percentiles over millions of answers cost a fixed 14 KB.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(33 * 64);
  count = 0;
  sumUs = 0;
  maxUs = 0;

  record(us: number): void {
    const v = us <= 0 ? 0 : us >= 0xffffffff ? 0xffffffff : Math.round(us);
    this.counts[LatencyHistogram.index(v)]++;
    this.count++;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** v < 64 → v; above, 64 buckets per power of two: e = ⌊log2 v⌋ − 6, index = 64e + ⌊v / 2^e⌋. */
  private static index(v: number): number {
    if (v < 64) return v;
    const e = 31 - Math.clz32(v) - 6;
    return 64 * e + Math.floor(v / 2 ** e);
  }

  /** Smallest value of bucket i. */
  private static lower(i: number): number {
    if (i < 128) return i;
    const e = Math.floor(i / 64) - 1;
    return (i - 64 * e) * 2 ** e;
  }

  /** Value at quantile q (0..1), µs: the top of its bucket, clipped to the maximum seen. */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.maxUs, LatencyHistogram.lower(i + 1) - 1);
    }
    return this.maxUs;
  }

  get meanUs(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }
}

export class Stats {
  /** Frames sent that expect an answer (duplicate copies included). */
  sent = 0;
  /** Answers matched to a sent frame. */
  answered = 0;
  readonly sentByKind = new Float64Array(5);
  readonly answeredByKind = new Float64Array(5);
  readonly results = new Float64Array(256);
  /** Why sent messages got no answer (sums to sent − answered once the run is over). */
  readonly unanswered = new Map<string, number>();
  /** Other failures: refused registrations or positions, socket errors, … */
  readonly failures = new Map<string, number>();
  readonly latency = new LatencyHistogram();
  /** Latency of the current progress interval only. */
  readonly recent = new LatencyHistogram();

  connectOk = 0;
  connectFailed = 0;
  readonly connectFailedBy = new Map<string, number>();
  reconnects = 0;
  closedByPeer = 0;
  connected = 0;
  peakConnected = 0;
  online = 0;

  positionsGenerated = 0;
  positionsSent = 0;
  positionsAnswered = 0;
  positionsRejected = 0;
  positionsResent = 0;
  positionsBackfilled = 0;
  positionsDropped = 0;

  duplicatesSent = 0;
  badFramesSent = 0;
  splitWrites = 0;
  stickyWrites = 0;
  fragmentsSent = 0;
  fragmentsHeldBack = 0;
  fragmentsResent = 0;
  odometerResets = 0;

  /** Answers whose serial matched nothing in flight (late, after a timeout, or unknown). */
  unmatchedAnswers = 0;
  /** Frames from the gateway that failed the checksum or were too short. */
  badAnswers = 0;
  /** Platform messages that are not answers (e.g. 0x8003 handled, others counted). */
  platformRequests = 0;
  writes = 0;
  bytesSent = 0;
  bytesReceived = 0;

  fail(reason: string, n = 1): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + n);
  }

  lost(reason: string, n = 1): void {
    this.unanswered.set(reason, (this.unanswered.get(reason) ?? 0) + n);
  }

  connectFailure(reason: string): void {
    this.connectFailed++;
    this.connectFailedBy.set(reason, (this.connectFailedBy.get(reason) ?? 0) + 1);
  }

  answer(kind: number, result: number, latencyUs: number): void {
    this.answered++;
    this.answeredByKind[kind]++;
    this.results[result]++;
    this.latency.record(latencyUs);
    this.recent.record(latencyUs);
  }

  /** Failures plus unanswered messages, for the progress line. */
  get failureCount(): number {
    let n = 0;
    for (const v of this.failures.values()) n += v;
    for (const v of this.unanswered.values()) n += v;
    return n;
  }
}
