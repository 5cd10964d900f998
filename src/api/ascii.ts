/**
 * ASCII written straight into a reused scratch Buffer, numbers digit by digit: a 2,880-point track as JSON
 * costs ≈0.6 ms this way against ≈1.7–2 ms (and ≈570 kB of short-lived strings for the GC) as a template-string
 * rope (bench/api.ts; RESULTS.md "API: what was measured and changed"). The writers are plain functions
 * `(buffer, offset, value) → next offset` so the caller's loop keeps both in locals (a method per field on
 * a writer object measured 3× slower).
 *
 * Decimals print as JS prints `v / 10 ** k` for an integer v (the shortest round-trip form is then the exact
 * decimal, trailing zeros dropped), so the output equals the template-string version byte for byte.
 */

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

let scratch = Buffer.allocUnsafe(1 << 16);

/**
 * The shared scratch with room for `k` bytes past `n` (grown, keeping its first `n` bytes). Not reentrant: write
 * and copy out (take) with no await in between.
 */
export function room(n: number, k: number): Buffer {
  if (n + k > scratch.length) {
    const next = Buffer.allocUnsafe(Math.max(scratch.length * 2, n + k));
    scratch.copy(next, 0, 0, n);
    scratch = next;
  }
  return scratch;
}

/** The scratch's first `n` bytes, copied out. */
export function take(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  scratch.copy(out, 0, 0, n);
  return out;
}

/** An ASCII literal. */
export function putLit(b: Buffer, n: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
  return n;
}

/** An integer (|v| < 2^53). */
export function putInt(b: Buffer, n: number, v: number): number {
  if (v < 0) {
    b[n++] = 45;
    v = -v;
  }
  let len = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
  const end = n + len;
  let p = end;
  do {
    b[--p] = 48 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  return end;
}

/** `v / 10 ** k` for an integer v, as JS prints it (k ≤ 6). */
export function putDec(b: Buffer, n: number, v: number, k: number): number {
  if (v < 0) {
    b[n++] = 45;
    v = -v;
  }
  const ip = Math.floor(v / POW10[k]);
  let fp = v - ip * POW10[k];
  n = putInt(b, n, ip);
  if (fp === 0) return n;
  b[n++] = 46;
  let digits = k;
  while (fp % 10 === 0) {
    fp /= 10;
    digits--;
  }
  const end = n + digits;
  for (let p = end; p > n; ) {
    b[--p] = 48 + (fp % 10);
    fp = Math.floor(fp / 10);
  }
  return end;
}

let cachedDay = -1;
const dayPrefix = Buffer.alloc(11);

/** Epoch seconds as `YYYY-MM-DDTHH:MM:SSZ` (as params.ts isoS); the date part is formatted once per day. */
export function putIsoS(b: Buffer, n: number, epochS: number): number {
  const day = Math.floor(epochS / 86_400);
  if (day !== cachedDay) {
    cachedDay = day;
    dayPrefix.write(new Date(day * 86_400_000).toISOString().slice(0, 11), 'latin1');
  }
  for (let i = 0; i < 11; i++) b[n++] = dayPrefix[i]; // Buffer#copy costs more than the loop at 11 bytes
  const s = epochS - day * 86_400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  b[n] = 48 + Math.floor(h / 10);
  b[n + 1] = 48 + (h % 10);
  b[n + 2] = 58;
  b[n + 3] = 48 + Math.floor(m / 10);
  b[n + 4] = 48 + (m % 10);
  b[n + 5] = 58;
  b[n + 6] = 48 + Math.floor(sec / 10);
  b[n + 7] = 48 + (sec % 10);
  b[n + 8] = 90;
  return n + 9;
}

/**
 * Any number as String(v) prints it: integers and values with at most 3 decimals (checked: m / 1000 === v) digit
 * by digit, anything else through String(). Room: 24 bytes.
 */
export function putNum(b: Buffer, n: number, v: number): number {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 53) return putInt(b, n, v);
  const m = Math.round(v * 1000);
  if (m / 1000 === v && Math.abs(m) < 2 ** 53) return putDec(b, n, m, 3);
  return putLit(b, n, String(v));
}

/** Text as UTF-8. Room: 3 bytes per UTF-16 unit. */
export function putText(b: Buffer, n: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return n - i + b.write(s, n - i, 'utf8'); // non-ASCII: write it whole as UTF-8
    b[n++] = c;
  }
  return n;
}

/** A string as JSON.stringify writes it, UTF-8. Room: 6 bytes per UTF-16 unit + 2. */
export function putJsonStr(b: Buffer, n: number, s: string): number {
  return putText(b, n, JSON.stringify(s));
}
