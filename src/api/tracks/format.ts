/**
 * Track points → JSON, GeoJSON, CSV, protobuf. The text formats are written by hand from the columns (no
 * intermediate objects; the JSON matches TrackPoint in schemas.ts, which a test checks; JSON goes straight to
 * bytes). Past STREAM_ABOVE points they stream in chunks of CHUNK points instead of being held whole; below,
 * one piece is cheaper (a streamed 2,880-point day cost 3.8 ms against 0.9 ms as a string; bench/api.ts).
 */
import { Readable } from 'node:stream';
import type { TrackColumns } from '../../store/queries/track-points.js';
import { putDec, putInt, putIsoS, putLit, room, take } from '../ascii.js';
import { encodeProto } from '../proto.js';
import { csvLine, type Cell } from '../output.js';
import { isoS } from '../params.js';

const CHUNK = 5000;
const STREAM_ABOVE = 20_000;

export interface TrackHead {
  id: string;
  fromMs: number;
  toMs: number;
  truncated: boolean;
}

/** Bytes reserved per point: its longest JSON (every field at its widest) is 259. */
const POINT_MAX = 300;

/** `head`, then points [from, to) as JSON objects, comma-separated (a leading comma unless from is 0), then `tail`. */
function pointsJson(head: string, c: TrackColumns, from: number, to: number, tail: string): Buffer {
  let b = room(0, Buffer.byteLength(head) + tail.length);
  let n = b.write(head, 0, 'utf8');
  b = room(n, (to - from) * POINT_MAX + tail.length);
  for (let i = from; i < to; i++) {
    n = putLit(b, n, i === 0 ? '{"time":"' : ',{"time":"');
    n = putIsoS(b, n, c.ts[i]);
    n = putDec(b, putLit(b, n, '","lat":'), c.latE6[i], 6);
    n = putDec(b, putLit(b, n, ',"lon":'), c.lonE6[i], 6);
    n = putDec(b, putLit(b, n, ',"speedKmh":'), c.speed[i], 1);
    n = putInt(b, putLit(b, n, ',"direction":'), c.direction[i]);
    n = putInt(b, putLit(b, n, ',"altitudeM":'), c.altitude[i]);
    n = putLit(b, n, (c.status[i] & 1) === 1 ? ',"acc":true' : ',"acc":false');
    n = putInt(b, putLit(b, n, ',"alarm":'), c.alarm[i]);
    n = putInt(b, putLit(b, n, ',"status":'), c.status[i]);
    if (c.odometer[i] > 0) n = putDec(b, putLit(b, n, ',"mileageKm":'), c.odometer[i], 1);
    if (c.fuel[i] > 0) n = putDec(b, putLit(b, n, ',"fuelL":'), c.fuel[i], 1);
    n = putLit(b, n, c.backfill[i] === 1 ? ',"backfill":true}' : ',"backfill":false}');
  }
  return take(putLit(b, n, tail));
}

/** One string for short tracks, a stream of chunks for long ones. */
function chunked(head: string, tail: string, n: number, item: (i: number) => string, sep: string): string | Readable {
  const piece = (from: number): string => {
    const parts: string[] = [];
    for (let i = from; i < Math.min(n, from + CHUNK); i++) parts.push(item(i));
    return parts.join(sep);
  };
  if (n <= STREAM_ABOVE) {
    // One rope, flattened once when written: ≈half the time of collecting the items and joining them.
    let out = head;
    for (let i = 0; i < n; i++) out += i === 0 ? item(i) : sep + item(i);
    return out + tail;
  }
  return Readable.from(
    (function* () {
      yield head;
      for (let from = 0; from < n; from += CHUNK) yield (from > 0 ? sep : '') + piece(from);
      yield tail;
    })(),
    { objectMode: false },
  );
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Bytes written straight from the columns (ascii.ts); past STREAM_ABOVE points, a stream of CHUNK-point pieces. */
export function trackJson(h: TrackHead, c: TrackColumns): Buffer | Readable {
  const head = `{"id":${JSON.stringify(h.id)},"from":"${iso(h.fromMs)}","to":"${iso(h.toMs)}","count":${c.length},"truncated":${h.truncated},"points":[`;
  const n = c.length;
  if (n <= STREAM_ABOVE) return pointsJson(head, c, 0, n, ']}');
  return Readable.from(
    (function* () {
      for (let from = 0; from < n; from += CHUNK) {
        const to = Math.min(n, from + CHUNK);
        yield pointsJson(from === 0 ? head : '', c, from, to, to === n ? ']}' : '');
      }
    })(),
    { objectMode: false },
  );
}

/**
 * A LineString Feature ([lon, lat, altitude] per RFC 7946) with the per-point values as parallel arrays in
 * its properties (`coordTimes`, as GPX converters write it). One point is a Point; none, a null geometry.
 */
export function trackGeoJson(h: TrackHead, c: TrackColumns): string {
  const n = c.length;
  const coords: string[] = [];
  const times: string[] = [];
  const speeds: number[] = [];
  for (let i = 0; i < n; i++) {
    coords.push(`[${c.lonE6[i] / 1e6},${c.latE6[i] / 1e6},${c.altitude[i]}]`);
    times.push(`"${isoS(c.ts[i])}"`);
    speeds.push(c.speed[i] / 10);
  }
  const geometry = n === 0 ? 'null' : n === 1 ? `{"type":"Point","coordinates":${coords[0]}}` : `{"type":"LineString","coordinates":[${coords.join(',')}]}`;
  const acc = Array.from(c.status, (s) => (s & 1) === 1);
  return `{"type":"Feature","geometry":${geometry},"properties":{"id":${JSON.stringify(h.id)},"from":"${iso(h.fromMs)}","to":"${iso(h.toMs)}",` +
    `"count":${n},"truncated":${h.truncated},"coordTimes":[${times.join(',')}],"speedKmh":[${speeds.join(',')}],` +
    `"direction":[${Array.from(c.direction).join(',')}],"acc":[${acc.join(',')}],"backfill":[${Array.from(c.backfill, (b) => b === 1).join(',')}]}}`;
}

export const TRACK_CSV_HEADER = ['time', 'lat', 'lon', 'speedKmh', 'direction', 'altitudeM', 'acc', 'alarm', 'status', 'mileageKm', 'fuelL', 'backfill'];

export function trackCsv(c: TrackColumns): string | Readable {
  const row = (i: number): string => {
    const cells: Cell[] = [
      isoS(c.ts[i]), c.latE6[i] / 1e6, c.lonE6[i] / 1e6, c.speed[i] / 10, c.direction[i], c.altitude[i], (c.status[i] & 1) === 1,
      c.alarm[i], c.status[i], c.odometer[i] > 0 ? c.odometer[i] / 10 : undefined, c.fuel[i] > 0 ? c.fuel[i] / 10 : undefined,
      c.backfill[i] === 1,
    ];
    return csvLine(cells);
  };
  return chunked(csvLine(TRACK_CSV_HEADER), '', c.length, row, '');
}

export function trackProtobuf(h: TrackHead, c: TrackColumns): Buffer {
  const points = new Array<Record<string, unknown>>(c.length);
  for (let i = 0; i < c.length; i++) {
    points[i] = {
      timeMs: c.ts[i] * 1000, latE6: c.latE6[i], lonE6: c.lonE6[i], speedDkmh: c.speed[i], direction: c.direction[i],
      altitudeM: c.altitude[i], alarm: c.alarm[i], status: c.status[i], odometerHm: c.odometer[i], fuelDl: c.fuel[i],
      backfill: c.backfill[i] === 1, acc: (c.status[i] & 1) === 1,
    };
  }
  return encodeProto('Track', { terminal: h.id, fromMs: h.fromMs, toMs: h.toMs, count: c.length, truncated: h.truncated, points });
}
