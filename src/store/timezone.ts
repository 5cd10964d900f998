/**
 * Local calendar days in a named zone (FLEETGATE_TIMEZONE, default Asia/Shanghai), DST-safe.
 * Days are 'YYYY-MM-DD' strings, instants epoch seconds UTC.
 */

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export interface DayBounds {
  /** First second of the local day (UTC epoch). */
  start: number;
  /** First second of the next local day. */
  end: number;
}

/** Throws a RangeError naming the zone when it is not an IANA zone this runtime knows. */
export function checkTimezone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(tz)} (expected an IANA name such as Asia/Shanghai)`);
  }
  return tz;
}

export function addDays(day: string, n: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Every zone offset is a multiple of 15 minutes, so the local date is constant within a 900 s UTC bucket. */
const BUCKET_S = 900;

export class Zone {
  readonly tz: string;
  private readonly fmt: Intl.DateTimeFormat;
  private readonly dayCache = new Map<number, string>();
  private readonly boundsCache = new Map<string, DayBounds>();

  constructor(tz: string = DEFAULT_TIMEZONE) {
    this.tz = checkTimezone(tz);
    this.fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** Local wall-clock time of `ts` read as if it were UTC, epoch seconds. */
  private wall(ts: number): number {
    const p: Record<string, string> = {};
    for (const { type, value } of this.fmt.formatToParts(new Date(ts * 1000))) p[type] = value;
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) / 1000;
  }

  /** Local day of an instant. */
  day(ts: number): string {
    const b = Math.floor(ts / BUCKET_S);
    let d = this.dayCache.get(b);
    if (d === undefined) {
      d = new Date(this.wall(b * BUCKET_S) * 1000).toISOString().slice(0, 10);
      if (this.dayCache.size > 100_000) this.dayCache.clear();
      this.dayCache.set(b, d);
    }
    return d;
  }

  private midnight(day: string): number {
    const naive = Date.parse(`${day}T00:00:00Z`) / 1000;
    // Two fixed-point steps settle the offset; then step past a midnight that DST skipped.
    let t = naive - (this.wall(naive) - naive);
    t = naive - (this.wall(t) - t);
    while (this.day(t) < day) t += BUCKET_S;
    while (this.day(t - 1) === day) t -= BUCKET_S;
    return t;
  }

  bounds(day: string): DayBounds {
    let b = this.boundsCache.get(day);
    if (!b) {
      b = { start: this.midnight(day), end: this.midnight(addDays(day, 1)) };
      this.boundsCache.set(day, b);
    }
    return b;
  }
}
