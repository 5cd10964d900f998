/**
 * The few query-API calls `verify` makes, written against the documented contract (issue 5, routes
 * under /api/v1): track (json), trips, ignition events and daily mileage of one terminal. Times go out
 * as ISO 8601 UTC; answers are parsed leniently (ISO or epoch ms; booleans or 0/1) so that harmless
 * representation choices do not read as data differences.
 */

export interface ApiPoint {
  time: number;
  lat: number;
  lon: number;
  speedKmh?: number;
  acc?: boolean;
  mileageKm?: number;
  fuelL?: number;
  backfill?: boolean;
}

export interface ApiTrip {
  id?: string;
  start: { time: number; lat?: number; lon?: number };
  end: { time: number; lat?: number; lon?: number } | null;
  distanceKm?: number;
}

export interface ApiIgnition {
  time: number;
  type: 'on' | 'off';
}

export interface ApiDay {
  date: string;
  km: number;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** GET `path` (relative to the API base) with a query; resolves with status and parsed JSON (or text). */
export type ApiGet = (path: string, query: Record<string, string>) => Promise<ApiResponse>;

export function httpApi(base: string, apiKey: string | undefined, timeoutMs: number): ApiGet {
  const root = base.replace(/\/+$/, '') + '/api/v1';
  return async (path, query) => {
    const url = `${root}${path}?${new URLSearchParams(query).toString()}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      // keep the text: the error message shows it
    }
    return { status: res.status, body };
  };
}

export const iso = (ms: number): string => new Date(ms).toISOString();

function timeOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Date.parse(v);
    if (!Number.isNaN(n)) return n;
    if (/^\d+$/.test(v)) return Number(v);
  }
  return NaN;
}

function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'on' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'off' || v === 'false') return false;
  return undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/** An HTTP failure with the status and the API's error message (`{statusCode, error, message}`). */
export class ApiError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    body: unknown,
  ) {
    const msg = typeof body === 'string' ? body.slice(0, 200) : String(obj(body).message ?? obj(body).error ?? '');
    super(`GET ${path}: HTTP ${status}${msg ? ` ${msg}` : ''}`);
  }
}

async function getJson(get: ApiGet, path: string, query: Record<string, string>): Promise<Record<string, unknown> | unknown[]> {
  const r = await get(path, query);
  if (r.status !== 200) throw new ApiError(path, r.status, r.body);
  if (r.body === null || typeof r.body !== 'object') throw new ApiError(path, r.status, 'not JSON');
  return r.body as Record<string, unknown> | unknown[];
}

const terminalPath = (id: string, what: string): string => `/terminals/${encodeURIComponent(id)}/${what}`;

/** Track points in [fromMs, toMs] (json format). */
export async function fetchTrack(get: ApiGet, id: string, fromMs: number, toMs: number): Promise<ApiPoint[]> {
  const body = obj(await getJson(get, terminalPath(id, 'track'), { from: iso(fromMs), to: iso(toMs), format: 'json' }));
  const points = Array.isArray(body.points) ? body.points : [];
  return points.map((p) => {
    const o = obj(p);
    const point: ApiPoint = { time: timeOf(o.time), lat: Number(o.lat), lon: Number(o.lon) };
    const speed = num(o.speedKmh);
    if (speed !== undefined) point.speedKmh = speed;
    const acc = toBool(o.acc);
    if (acc !== undefined) point.acc = acc;
    const km = num(o.mileageKm);
    if (km !== undefined) point.mileageKm = km;
    const fuel = num(o.fuelL);
    if (fuel !== undefined) point.fuelL = fuel;
    const bf = toBool(o.backfill);
    if (bf !== undefined) point.backfill = bf;
    return point;
  });
}

export async function fetchTrips(get: ApiGet, id: string, fromMs: number, toMs: number): Promise<ApiTrip[]> {
  const body = obj(await getJson(get, terminalPath(id, 'trips'), { from: iso(fromMs), to: iso(toMs) }));
  const trips = Array.isArray(body.trips) ? body.trips : [];
  return trips.map((x) => {
    const o = obj(x);
    const s = obj(o.start);
    const e = o.end === null || o.end === undefined ? null : obj(o.end);
    const trip: ApiTrip = {
      start: { time: timeOf(s.time), lat: num(s.lat), lon: num(s.lon) },
      end: e === null || e.time === undefined || e.time === null ? null : { time: timeOf(e.time), lat: num(e.lat), lon: num(e.lon) },
    };
    if (typeof o.id === 'string' || typeof o.id === 'number') trip.id = String(o.id);
    const d = num(o.distanceKm);
    if (d !== undefined) trip.distanceKm = d;
    return trip;
  });
}

export async function fetchIgnition(get: ApiGet, id: string, fromMs: number, toMs: number): Promise<ApiIgnition[]> {
  const body = obj(await getJson(get, terminalPath(id, 'ignition-events'), { from: iso(fromMs), to: iso(toMs) }));
  const events = Array.isArray(body.events) ? body.events : [];
  return events.map((x) => {
    const o = obj(x);
    return { time: timeOf(o.time), type: o.type === 'off' ? 'off' : 'on' };
  });
}

/**
 * Daily mileage. The contract says "per local day {date, km, …} plus a total" without naming the
 * array, so the first array of objects with `date` and `km` is taken (or the body itself if it is one).
 */
export async function fetchMileage(get: ApiGet, id: string, fromMs: number, toMs: number): Promise<ApiDay[]> {
  const body = await getJson(get, terminalPath(id, 'mileage'), { from: iso(fromMs), to: iso(toMs), interval: 'day' });
  const isDays = (a: unknown): a is unknown[] => Array.isArray(a) && a.every((d) => typeof obj(d).date === 'string');
  let rows: unknown[] = [];
  if (isDays(body)) rows = body;
  else {
    const o = obj(body);
    for (const key of ['days', 'items', 'mileage', 'data', ...Object.keys(o)]) {
      if (isDays(o[key]) && (o[key] as unknown[]).length >= 0) {
        rows = o[key] as unknown[];
        break;
      }
    }
  }
  return rows.map((d) => {
    const o = obj(d);
    return { date: String(o.date).slice(0, 10), km: num(o.km) ?? NaN };
  });
}
