/** ACC transitions of one terminal as the gateway saw them (each (ts, on) once). */
import type { Db } from '../db.js';

export interface IgnitionEvent {
  ts: number;
  on: 0 | 1;
  latE6: number;
  lonE6: number;
}

export async function ignitionEvents(db: Db, terminal: string, from: number, to: number): Promise<IgnitionEvent[]> {
  const rows = await db.query<{ ts: number; on: number; lat: number; lon: number }>(
    `SELECT toUInt32(ts) AS ts, on, lat, lon FROM ${db.t('ignition_events')}
     WHERE terminal = {terminal:String} AND ts >= {from:DateTime} AND ts < {to:DateTime}
     ORDER BY ts, on LIMIT 1 BY ts, on`,
    { terminal, from, to },
  );
  return rows.map((r) => ({ ts: Number(r.ts), on: Number(r.on) ? 1 : 0, latE6: Number(r.lat), lonE6: Number(r.lon) }));
}
