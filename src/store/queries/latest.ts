/**
 * Latest position per terminal. The gateway's in-memory map is the live source; this is the restart and
 * fallback source. `sinceS` bounds the scan (the ts filter prunes partitions, not granules: keep it short).
 */
import type { Db } from '../db.js';

export interface LatestPosition {
  terminal: string;
  ts: number;
  latE6: number;
  lonE6: number;
  speed: number;
  direction: number;
  status: number;
  alarm: number;
  odometer: number;
}

// Output names differ from the columns: an alias named like a column would shadow it inside argMax.
interface Row {
  terminal: string; last_ts: number; last_lat: number; last_lon: number; last_speed: number; last_direction: number;
  last_status: number; last_alarm: number; last_odometer: number;
}

export async function latestPositions(db: Db, opts: { sinceS: number; terminals?: readonly string[] }): Promise<LatestPosition[]> {
  const filter = opts.terminals ? ' AND terminal IN {terminals:Array(String)}' : '';
  const rows = await db.query<Row>(
    `SELECT terminal, toUInt32(max(ts)) AS last_ts, argMax(lat, ts) AS last_lat, argMax(lon, ts) AS last_lon,
            argMax(speed, ts) AS last_speed, argMax(direction, ts) AS last_direction, argMax(status, ts) AS last_status,
            argMax(alarm, ts) AS last_alarm, argMax(odometer, ts) AS last_odometer
     FROM ${db.t('positions')}
     WHERE ts >= {since:DateTime}${filter}
     GROUP BY terminal ORDER BY terminal`,
    opts.terminals ? { since: opts.sinceS, terminals: opts.terminals } : { since: opts.sinceS },
  );
  return rows.map((r) => ({
    terminal: r.terminal, ts: Number(r.last_ts), latE6: Number(r.last_lat), lonE6: Number(r.last_lon), speed: Number(r.last_speed),
    direction: Number(r.last_direction), status: Number(r.last_status), alarm: Number(r.last_alarm), odometer: Number(r.last_odometer),
  }));
}
