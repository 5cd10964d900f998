/**
 * Douglas–Peucker in metres, iterative (no recursion depth limit), on an equirectangular projection around
 * the track's mean latitude: at tracking scales (< a few hundred km) the error is far below GPS noise, and
 * it is 6–29 ms for 100k points (CLICKHOUSE.md §4.1). First and last points are always kept.
 */
import { emptyTrack, type TrackColumns } from '../../store/queries/track-points.js';

const M_PER_DEG = 111_195; // metres per degree on the mean sphere (R = 6,371 km)

/** Indexes of the points to keep, ascending. */
export function douglasPeucker(latE6: ArrayLike<number>, lonE6: ArrayLike<number>, toleranceM: number): Uint32Array {
  const n = latE6.length;
  if (n <= 2 || toleranceM <= 0) return Uint32Array.from({ length: n }, (_, i) => i);
  let latSum = 0;
  for (let i = 0; i < n; i++) latSum += latE6[i];
  const kx = (M_PER_DEG * Math.cos(((latSum / n) * 1e-6 * Math.PI) / 180)) * 1e-6;
  const ky = M_PER_DEG * 1e-6;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = lonE6[i] * kx;
    y[i] = latE6[i] * ky;
  }
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const tol2 = toleranceM * toleranceM;
  const stack: number[] = [0, n - 1];
  while (stack.length > 0) {
    const b = stack.pop()!;
    const a = stack.pop()!;
    if (b - a < 2) continue;
    const dx = x[b] - x[a];
    const dy = y[b] - y[a];
    const len2 = dx * dx + dy * dy;
    let worst = -1;
    let worstD2 = tol2;
    for (let i = a + 1; i < b; i++) {
      // Distance to the segment (not the infinite line), so a track that doubles back is kept.
      let px = x[i] - x[a];
      let py = y[i] - y[a];
      if (len2 > 0) {
        const t = Math.max(0, Math.min(1, (px * dx + py * dy) / len2));
        px -= t * dx;
        py -= t * dy;
      }
      const d2 = px * px + py * py;
      if (d2 > worstD2) {
        worstD2 = d2;
        worst = i;
      }
    }
    if (worst >= 0) {
      keep[worst] = 1;
      stack.push(a, worst, worst, b);
    }
  }
  let k = 0;
  for (let i = 0; i < n; i++) k += keep[i];
  const out = new Uint32Array(k);
  for (let i = 0, j = 0; i < n; i++) if (keep[i]) out[j++] = i;
  return out;
}

/** The points of `c` at `idx`, as a new set of columns. */
export function pick(c: TrackColumns, idx: Uint32Array): TrackColumns {
  const o = emptyTrack(idx.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    o.ts[j] = c.ts[i];
    o.latE6[j] = c.latE6[i];
    o.lonE6[j] = c.lonE6[i];
    o.speed[j] = c.speed[i];
    o.direction[j] = c.direction[i];
    o.altitude[j] = c.altitude[i];
    o.alarm[j] = c.alarm[i];
    o.status[j] = c.status[i];
    o.odometer[j] = c.odometer[i];
    o.fuel[j] = c.fuel[i];
    o.backfill[j] = c.backfill[i];
  }
  return o;
}
