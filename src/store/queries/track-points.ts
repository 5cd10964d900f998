/**
 * Track points for the API, column by column (typed arrays: compact in the track cache, cheap to format).
 * Each device second once (the newest copy of a resend), device-time order. `thin` drops parked repeats —
 * a point at the same place as both neighbours — before Douglas–Peucker runs in Node (CLICKHOUSE.md §4.1:
 * ClickHouse has no line simplification).
 */
import type { Db } from '../db.js';

export interface TrackColumns {
  length: number;
  /** Epoch seconds UTC. */
  ts: Uint32Array;
  latE6: Int32Array;
  lonE6: Int32Array;
  /** 0.1 km/h. */
  speed: Uint16Array;
  direction: Uint16Array;
  altitude: Int32Array;
  alarm: Uint32Array;
  status: Uint32Array;
  /** 0.1 km; 0 = absent. */
  odometer: Uint32Array;
  /** 0.1 L; 0 = absent. */
  fuel: Uint16Array;
  backfill: Uint8Array;
}

export interface TrackQuery {
  terminal: string;
  /** Epoch seconds, [from, to). */
  from: number;
  to: number;
  /** Rows at most. */
  limit: number;
  /** Drop parked repeats (needs window functions; ignored without them). */
  thin?: boolean;
}

// `t`, not `ts`: an alias named like a column would replace the column in WHERE and ORDER BY.
const COLUMNS = 'toUInt32(ts) AS t, lat, lon, speed, direction, altitude, alarm, status, odometer, fuel, backfill';
/** RowBinary bytes a row, by the column types in schema.ts (POSITIONS): UInt32, Int32 ×2, UInt16 ×2, Int32, UInt32 ×3, UInt16, UInt8. */
const ROW = 35;

function sql(db: Db, thin: boolean): string {
  const deduped = `SELECT ${COLUMNS} FROM ${db.t('positions')}
     WHERE terminal = {terminal:String} AND ts >= {from:DateTime} AND ts < {to:DateTime}
     ORDER BY ts, recv_delay DESC LIMIT 1 BY ts`;
  if (!thin) return `${deduped} LIMIT {limit:UInt32}`;
  // The sentinel (no latitude is 2^31−1) makes the first and last rows differ from their missing neighbour.
  return `SELECT t, lat, lon, speed, direction, altitude, alarm, status, odometer, fuel, backfill FROM (
       SELECT *, lagInFrame(lat, 1, toInt32(2147483647)) OVER w AS p_lat, lagInFrame(lon, 1, lon) OVER w AS p_lon,
              leadInFrame(lat, 1, toInt32(2147483647)) OVER w AS n_lat, leadInFrame(lon, 1, lon) OVER w AS n_lon
       FROM (${deduped})
       WINDOW w AS (ORDER BY t ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING))
     WHERE NOT (lat = p_lat AND lon = p_lon AND lat = n_lat AND lon = n_lon)
     ORDER BY t LIMIT {limit:UInt32}`;
}

export function emptyTrack(n: number): TrackColumns {
  return {
    length: n, ts: new Uint32Array(n), latE6: new Int32Array(n), lonE6: new Int32Array(n), speed: new Uint16Array(n),
    direction: new Uint16Array(n), altitude: new Int32Array(n), alarm: new Uint32Array(n), status: new Uint32Array(n),
    odometer: new Uint32Array(n), fuel: new Uint16Array(n), backfill: new Uint8Array(n),
  };
}

/**
 * RowBinary rather than TSV: a 2,880-point day costs ≈1.5 ms less end to end (engine formatting plus the JS
 * split) and leaves no per-field strings for the GC (bench/api.ts; RESULTS.md "API: what was measured").
 */
export async function trackPoints(db: Db, q: TrackQuery): Promise<TrackColumns> {
  const thin = (q.thin ?? false) && db.info.features.windowFunctions;
  const b = await db.queryBytes(sql(db, thin), { terminal: q.terminal, from: q.from, to: q.to, limit: q.limit }, 'RowBinary');
  if (b.length % ROW !== 0) throw new Error(`track points: ${b.length} bytes is not a whole number of ${ROW}-byte rows`);
  const n = b.length / ROW;
  const c = emptyTrack(n);
  for (let i = 0, o = 0; i < n; i++, o += ROW) {
    c.ts[i] = b.readUInt32LE(o);
    c.latE6[i] = b.readInt32LE(o + 4);
    c.lonE6[i] = b.readInt32LE(o + 8);
    c.speed[i] = b.readUInt16LE(o + 12);
    c.direction[i] = b.readUInt16LE(o + 14);
    c.altitude[i] = b.readInt32LE(o + 16);
    c.alarm[i] = b.readUInt32LE(o + 20);
    c.status[i] = b.readUInt32LE(o + 24);
    c.odometer[i] = b.readUInt32LE(o + 28);
    c.fuel[i] = b.readUInt16LE(o + 32);
    c.backfill[i] = b[o + 34];
  }
  return c;
}

/** Bytes held by a track (for the cache's budget). */
export function trackBytes(c: TrackColumns): number {
  return c.length * 38 + 200;
}
