/**
 * Admission control for connection storms (USERS.md §12): a global connection cap and a per-IP token
 * bucket. Decisions are O(1); idle buckets are swept periodically so the map stays bounded.
 */
export type AdmissionVerdict = 'ok' | 'global_limit' | 'ip_rate';

interface Bucket {
  tokens: number;
  lastMs: number;
}

export class Admission {
  private readonly buckets = new Map<string, Bucket>();
  private open = 0;

  constructor(
    private readonly maxConnections: number,
    /** Connections per second allowed per remote address (burst = one second's worth). */
    private readonly perIpPerSecond: number,
  ) {}

  get openConnections(): number {
    return this.open;
  }

  admit(ip: string, nowMs: number): AdmissionVerdict {
    if (this.open >= this.maxConnections) return 'global_limit';
    if (this.perIpPerSecond > 0) {
      let b = this.buckets.get(ip);
      if (!b) {
        b = { tokens: this.perIpPerSecond, lastMs: nowMs };
        this.buckets.set(ip, b);
      } else {
        b.tokens = Math.min(this.perIpPerSecond, b.tokens + ((nowMs - b.lastMs) / 1000) * this.perIpPerSecond);
        b.lastMs = nowMs;
      }
      if (b.tokens < 1) return 'ip_rate';
      b.tokens -= 1;
    }
    this.open++;
    return 'ok';
  }

  release(): void {
    if (this.open > 0) this.open--;
  }

  /** Drops buckets that have refilled completely (no recent connections from that address). */
  sweep(nowMs: number): void {
    for (const [ip, b] of this.buckets) {
      if (nowMs - b.lastMs > 2000) this.buckets.delete(ip);
    }
  }
}
