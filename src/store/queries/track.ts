/** Track of one terminal over a time range: each device second once (the newest copy of a resend). */
import type { Db } from '../db.js';
import type { PositionRow } from '../rows.js';

/** A stored position of one terminal (the row without its terminal id). */
export type TrackPoint = Omit<PositionRow, 'terminal' | 'backfill'> & { backfill: number };

interface Row {
  ts: number; recv_ts: number; lat: number; lon: number; speed: number; direction: number; altitude: number;
  alarm: number; status: number; odometer: number; fuel: number; satellites: number; signal: number;
  backfill: number; extras: string;
}

export async function track(db: Db, terminal: string, from: number, to: number, limit = 1_000_000): Promise<TrackPoint[]> {
  // Binary extras are returned as hex; where they are stored as hex already (no EPHEMERAL) they pass through.
  const extras = db.info.features.ephemeral ? 'lower(hex(extras))' : 'extras';
  const rows = await db.query<Row>(
    `SELECT toUInt32(ts) AS ts, toUInt32(recv_ts) AS recv_ts, lat, lon, speed, direction, altitude, alarm, status,
            odometer, fuel, satellites, signal, backfill, ${extras} AS extras
     FROM ${db.t('positions')}
     WHERE terminal = {terminal:String} AND ts >= {from:DateTime} AND ts < {to:DateTime}
     ORDER BY ts, recv_delay DESC
     LIMIT 1 BY ts
     LIMIT {limit:UInt32}`,
    { terminal, from, to, limit },
  );
  return rows.map((r) => ({
    ts: Number(r.ts), recvTs: Number(r.recv_ts), latE6: Number(r.lat), lonE6: Number(r.lon), speed: Number(r.speed),
    direction: Number(r.direction), altitude: Number(r.altitude), alarm: Number(r.alarm), status: Number(r.status),
    odometer: Number(r.odometer), fuel: Number(r.fuel), satellites: Number(r.satellites), signal: Number(r.signal),
    backfill: Number(r.backfill), extras: r.extras,
  }));
}
