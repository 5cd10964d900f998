/**
 * Earth geometry and local calendar days. Distances use the haversine formula on the mean Earth radius:
 * the vehicle's odometer is the sum of these chords between reported positions, so GPS distance and
 * odometer distance agree by construction (what `verify` compares against).
 */
export const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance in metres between two points given in micro-degrees. */
export function haversineE6(lat1E6: number, lon1E6: number, lat2E6: number, lon2E6: number): number {
  return haversineDeg(lat1E6 / 1e6, lon1E6 / 1e6, lat2E6 / 1e6, lon2E6 / 1e6);
}

export function haversineDeg(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360). */
export function bearingDeg(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const y = Math.sin((lon2 - lon1) * RAD) * Math.cos(lat2 * RAD);
  const x = Math.cos(lat1 * RAD) * Math.sin(lat2 * RAD) - Math.sin(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.cos((lon2 - lon1) * RAD);
  const b = Math.atan2(y, x) / RAD;
  return b < 0 ? b + 360 : b;
}

/** Mutable point, so the hot path moves vehicles without allocating. */
export interface Point {
  lat: number;
  lon: number;
}

/** Moves `p` by `distM` along `bearing` (local flat approximation: steps are at most a few km). */
export function move(p: Point, bearing: number, distM: number): void {
  const b = bearing * RAD;
  p.lat += ((distM * Math.cos(b)) / EARTH_RADIUS_M) / RAD;
  p.lon += ((distM * Math.sin(b)) / (EARTH_RADIUS_M * Math.cos(p.lat * RAD))) / RAD;
}

/** Normalises an angle to [0, 360). */
export function normDeg(d: number): number {
  const r = d % 360;
  return r < 0 ? r + 360 : r;
}

// ---- local days (Asia/Shanghai: UTC+8 all year, no DST since 1991) --------------------------------

export const LOCAL_OFFSET_MS = 8 * 3_600_000;
export const DAY_MS = 86_400_000;

/** Local day number (days since 1970-01-01 local) of an epoch-ms instant. */
export function localDayNumber(ms: number): number {
  return Math.floor((ms + LOCAL_OFFSET_MS) / DAY_MS);
}

/** UTC epoch ms of local midnight starting the given local day number. */
export function localDayStart(day: number): number {
  return day * DAY_MS - LOCAL_OFFSET_MS;
}

/** Local day number of a 'YYYY-MM-DD' date, or undefined when the text is not a real date. */
export function parseLocalDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms / DAY_MS;
}

/** Day of the week of a local day number, 0 = Sunday. */
export function weekday(day: number): number {
  return (day + 4) % 7; // 1970-01-01 was a Thursday
}

/** 'YYYY-MM-DD' of a local day number. */
export function localDateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
