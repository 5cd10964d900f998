/**
 * A stand-in for the query API (issue 5 contract: /api/v1/terminals/{id}/track|trips|ignition-events|
 * mileage) over node:http, for testing `verify`. It serves whatever positions it is given — in the
 * end-to-end tests, the ones the real gateway put in its spool — and derives trips (ACC runs),
 * ignition events (ACC transitions) and daily km (haversine between consecutive stored points) with
 * rules of its own, independent of the simulator's truth code.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalTerminalId, decode0200, decode0704, type Location } from '../../protocols/jt808/index.js';
import { FLAG_FRAGMENT, readRecord } from '../../src/decode/record.js';

export interface StoredPoint {
  time: number;
  lat: number;
  lon: number;
  speedKmh: number;
  acc: boolean;
  mileageKm?: number;
  fuelL?: number;
  backfill: boolean;
}

export type Store = Map<string, StoredPoint[]>;

function point(loc: Location, backfill: boolean): StoredPoint | null {
  if (loc.time === null) return null;
  return { time: loc.time, lat: loc.lat, lon: loc.lon, speedKmh: loc.speedKmh, acc: loc.acc, mileageKm: loc.mileageKm, fuelL: loc.fuelL, backfill };
}

/** Positions per canonical terminal id from spool records (fragments skipped: their reassembled record counts). */
export function storeFromSpool(records: ReadonlyArray<{ data: Buffer }>): Store {
  const store: Store = new Map();
  const add = (id: string, p: StoredPoint | null): void => {
    if (!p) return;
    const list = store.get(id);
    if (list) list.push(p);
    else store.set(id, [p]);
  };
  for (const r of records) {
    const rec = readRecord(r.data);
    if (!rec || (rec.flags & FLAG_FRAGMENT) !== 0) continue;
    const opts = { layout: rec.layout, utcOffsetMinutes: rec.utcOffsetMinutes };
    const id = canonicalTerminalId(rec.phoneBcd);
    if (rec.msgId === 0x0200) {
      const d = decode0200(rec.body, opts);
      if (d.ok) add(id, point(d.value, false));
    } else if (rec.msgId === 0x0704) {
      const d = decode0704(rec.body, opts);
      if (d.ok) for (const item of d.value.items) add(id, point(item, d.value.type === 1));
    }
  }
  return store;
}

/** Device-time order, duplicates (same time) removed — as the real API promises. */
function track(store: Store, id: string, keepDuplicates = false): StoredPoint[] {
  const seen = new Set<number>();
  const sorted = [...(store.get(id) ?? [])].sort((a, b) => a.time - b.time);
  return keepDuplicates ? sorted : sorted.filter((p) => (seen.has(p.time) ? false : (seen.add(p.time), true)));
}

function haversineKm(a: StoredPoint, b: StoredPoint): number {
  const R = 6371.0088;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

const localDate = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

interface Trip {
  start: StoredPoint;
  end: StoredPoint | null;
  distanceKm: number;
}

function trips(points: StoredPoint[]): Trip[] {
  const out: Trip[] = [];
  let cur: Trip | null = null;
  let prev: StoredPoint | null = null;
  for (const p of points) {
    if (cur && prev) cur.distanceKm += haversineKm(prev, p);
    if (p.acc && !cur) cur = { start: p, end: null, distanceKm: 0 };
    else if (!p.acc && cur) {
      cur.end = p;
      out.push(cur);
      cur = null;
    }
    prev = p;
  }
  if (cur) out.push(cur);
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export interface FakeApiOptions {
  apiKey?: string;
  /** Makes every route answer with this status (error-path tests). */
  failWith?: number;
  /** Serve the track without removing duplicates (to check that verify notices them). */
  keepDuplicates?: boolean;
}

export interface FakeApi {
  url: string;
  store: Store;
  requests: string[];
  authHeaders: Array<string | undefined>;
  close(): Promise<void>;
}

/** `source` may be a function: the store is then read at each request (data still arriving). */
export async function startFakeApi(source: Store | (() => Store), opts: FakeApiOptions = {}): Promise<FakeApi> {
  const current = (): Store => (typeof source === 'function' ? source() : source);
  const requests: string[] = [];
  const authHeaders: Array<string | undefined> = [];
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.pathname + u.search);
    authHeaders.push(req.headers.authorization);
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) return send(res, 401, { statusCode: 401, error: 'Unauthorized', message: 'missing or wrong API key' });
    if (opts.failWith) return send(res, opts.failWith, { statusCode: opts.failWith, error: 'Error', message: 'injected failure' });
    const m = /^\/api\/v1\/terminals\/([^/]+)\/(track|trips|ignition-events|mileage)$/.exec(u.pathname);
    if (!m) return send(res, 404, { statusCode: 404, error: 'Not Found', message: 'no such route' });
    const id = decodeURIComponent(m[1]).replace(/^0+(?=\d)/, '');
    const store = current();
    if (!store.has(id)) return send(res, 404, { statusCode: 404, error: 'Not Found', message: `unknown terminal ${id}` });
    const from = Date.parse(u.searchParams.get('from') ?? '');
    const to = Date.parse(u.searchParams.get('to') ?? '');
    if (!(from < to)) return send(res, 400, { statusCode: 400, error: 'Bad Request', message: 'from must be before to' });
    const pts = track(store, id);
    switch (m[2]) {
      case 'track': {
        const sel = (opts.keepDuplicates ? track(store, id, true) : pts).filter((p) => p.time >= from && p.time <= to);
        return send(res, 200, {
          id,
          from: iso(from),
          to: iso(to),
          count: sel.length,
          points: sel.map((p) => ({ time: iso(p.time), lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, acc: p.acc, mileageKm: p.mileageKm, fuelL: p.fuelL, backfill: p.backfill })),
        });
      }
      case 'trips': {
        const sel = trips(pts).filter((t) => t.start.time <= to && (t.end === null || t.end.time >= from));
        return send(res, 200, {
          trips: sel.map((t, i) => ({
            id: `${id}-${t.start.time}-${i}`,
            start: { time: iso(t.start.time), lat: t.start.lat, lon: t.start.lon },
            end: t.end ? { time: iso(t.end.time), lat: t.end.lat, lon: t.end.lon } : null,
            durationS: t.end ? (t.end.time - t.start.time) / 1000 : null,
            distanceKm: Math.round(t.distanceKm * 1000) / 1000,
          })),
        });
      }
      case 'ignition-events': {
        const events: Array<{ time: string; type: 'on' | 'off'; lat: number; lon: number }> = [];
        let prev: StoredPoint | null = null;
        for (const p of pts) {
          if ((prev === null && p.acc) || (prev !== null && prev.acc !== p.acc)) {
            if (p.time >= from && p.time <= to) events.push({ time: iso(p.time), type: p.acc ? 'on' : 'off', lat: p.lat, lon: p.lon });
          }
          prev = p;
        }
        return send(res, 200, { events });
      }
      default: {
        const days = new Map<string, number>();
        for (let i = 0; i < pts.length; i++) {
          const p = pts[i];
          if (p.time < from || p.time > to) continue;
          const d = localDate(p.time);
          days.set(d, (days.get(d) ?? 0) + (i > 0 ? haversineKm(pts[i - 1], p) : 0));
        }
        const list = [...days].sort().map(([date, km]) => ({ date, km: Math.round(km * 1000) / 1000, gpsKm: Math.round(km * 1000) / 1000, source: 'gps' }));
        return send(res, 200, { id, days: list, total: { km: list.reduce((a, d) => a + d.km, 0) } });
      }
    }
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get store() {
      return current();
    },
    requests,
    authHeaders,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
