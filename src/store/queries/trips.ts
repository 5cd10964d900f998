/** Trips of one terminal over local days, from each day's current revision (ids are stable across revisions). */
import type { Db } from '../db.js';

export interface TripRow {
  tripId: string;
  day: string;
  revision: number;
  startTs: number;
  endTs: number;
  endReason: string;
  driveS: number;
  idleS: number;
  gpsM: number;
  odoM: number;
  maxSpeed: number;
  points: number;
  startLatE6: number;
  startLonE6: number;
  endLatE6: number;
  endLonE6: number;
}

/** A `trips` row as the queries select it. */
export interface TripDbRow {
  trip_id: string; day: string; revision: number; start_ts: number; end_ts: number; end_reason: string; drive_s: number;
  idle_s: number; gps_m: number; odo_m: number; max_speed: number; points: number; start_lat: number; start_lon: number;
  end_lat: number; end_lon: number;
}

export async function trips(db: Db, terminal: string, fromDay: string, toDay: string): Promise<TripRow[]> {
  const rows = await db.query<TripDbRow>(
    `SELECT trip_id, day, revision, toUInt32(start_ts) AS start_ts, toUInt32(end_ts) AS end_ts, end_reason,
            drive_s, idle_s, gps_m, odo_m, max_speed, points, start_lat, start_lon, end_lat, end_lon
     FROM ${db.t('trips')}
     WHERE terminal = {terminal:String} AND day >= {from:Date} AND day <= {to:Date}
       AND (day, revision) IN (SELECT day, revision FROM ${db.t('vehicle_daily')} FINAL
                               WHERE terminal = {terminal:String} AND day >= {from:Date} AND day <= {to:Date})
     ORDER BY start_ts LIMIT 1 BY start_ts`,
    { terminal, from: fromDay, to: toDay },
  );
  return rows.map(toTripRow);
}

/** Column names and UInt64-as-string values → a TripRow. */
export function toTripRow(r: TripDbRow): TripRow {
  return {
    tripId: r.trip_id, day: r.day, revision: Number(r.revision), startTs: Number(r.start_ts), endTs: Number(r.end_ts),
    endReason: r.end_reason, driveS: Number(r.drive_s), idleS: Number(r.idle_s), gpsM: Number(r.gps_m), odoM: Number(r.odo_m),
    maxSpeed: Number(r.max_speed), points: Number(r.points), startLatE6: Number(r.start_lat), startLonE6: Number(r.start_lon),
    endLatE6: Number(r.end_lat), endLonE6: Number(r.end_lon),
  };
}
