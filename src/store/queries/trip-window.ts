/**
 * Trips of one terminal that overlap a time range, whole, from the current revision of their start day.
 * A trip belongs to the day it starts in and is followed at most `lookaheadS` past that day's end, so the
 * start days to read are [day(from) − 1, day(to)]; the figures never depend on the range asked.
 */
import type { Db } from '../db.js';

export interface WindowTrip {
  tripId: string;
  /** Local start day and the revision of its figures. */
  day: string;
  revision: number;
  startTs: number;
  endTs: number;
  endReason: string;
  driveS: number;
  idleS: number;
  gpsM: number;
  odoM: number;
  /** 0.1 km/h. */
  maxSpeed: number;
  points: number;
  startLatE6: number;
  startLonE6: number;
  endLatE6: number;
  endLonE6: number;
  /** The distance source of the trip's day (odometer | gps | none): the trip's distance follows it. */
  source: string;
}

interface Row {
  trip_id: string; day: string; revision: number; start_ts: number; end_ts: number; end_reason: string; drive_s: number;
  idle_s: number; gps_m: number; odo_m: number; max_speed: number; points: number; start_lat: number; start_lon: number;
  end_lat: number; end_lon: number; source: string;
}

/** `fromDay`/`toDay` (inclusive) bound the start days read; `from`/`to` (epoch s, [from, to)) the overlap. */
export async function tripsOverlapping(db: Db, q: { terminal: string; fromDay: string; toDay: string; from: number; to: number }): Promise<WindowTrip[]> {
  const rows = await db.query<Row>(
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
  return rows.map((r) => ({
    tripId: r.trip_id, day: r.day, revision: Number(r.revision), startTs: Number(r.start_ts), endTs: Number(r.end_ts),
    endReason: r.end_reason, driveS: Number(r.drive_s), idleS: Number(r.idle_s), gpsM: Number(r.gps_m), odoM: Number(r.odo_m),
    maxSpeed: Number(r.max_speed), points: Number(r.points), startLatE6: Number(r.start_lat), startLonE6: Number(r.start_lon),
    endLatE6: Number(r.end_lat), endLonE6: Number(r.end_lon), source: r.source,
  }));
}
