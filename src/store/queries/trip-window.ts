/**
 * Trips of one terminal that overlap a time range, whole, from the current revision of their start day.
 * A trip belongs to the day it starts in and is followed at most `lookaheadS` past that day's end, so the
 * start days to read are [day(from) − 1, day(to)]; the figures never depend on the range asked.
 */
import type { Db } from '../db.js';
import { toTripRow, type TripDbRow, type TripRow } from './trips.js';

/** A trip with the distance source of its day (odometer | gps | none): the trip's distance follows it. */
export interface WindowTrip extends TripRow {
  source: string;
}

/** `fromDay`/`toDay` (inclusive) bound the start days read; `from`/`to` (epoch s, [from, to)) the overlap. */
export async function tripsOverlapping(db: Db, q: { terminal: string; fromDay: string; toDay: string; from: number; to: number }): Promise<WindowTrip[]> {
  const rows = await db.query<TripDbRow & { source: string }>(
    `SELECT t.trip_id AS trip_id, toString(t.day) AS day, t.revision AS revision, toUInt32(t.start_ts) AS start_ts,
            toUInt32(t.end_ts) AS end_ts, t.end_reason AS end_reason, t.drive_s AS drive_s, t.idle_s AS idle_s,
            t.gps_m AS gps_m, t.odo_m AS odo_m, t.max_speed AS max_speed, t.points AS points,
            t.start_lat AS start_lat, t.start_lon AS start_lon, t.end_lat AS end_lat, t.end_lon AS end_lon,
            toString(v.distance_source) AS source
     FROM (
       SELECT * FROM ${db.t('trips')} FINAL
       WHERE terminal = {terminal:String} AND day >= {fromDay:Date} AND day <= {toDay:Date}
         AND start_ts < {to:DateTime} AND end_ts > {from:DateTime}
     ) AS t
     INNER JOIN (
       SELECT day, revision, distance_source FROM ${db.t('vehicle_daily')} FINAL
       WHERE terminal = {terminal:String} AND day >= {fromDay:Date} AND day <= {toDay:Date}
     ) AS v ON t.day = v.day AND t.revision = v.revision
     ORDER BY start_ts`,
    q,
  );
  return rows.map((r) => ({ ...toTripRow(r), source: r.source }));
}
