/**
 * ACC transitions of one terminal, derived from its stored positions in device-time order (status bit 0).
 * Deriving them at read time keeps them right when late data lands inside a range already seen: a
 * 0x0704 blind-area upload adds the transitions it contains, and a resend adds none. The state before
 * the range comes from the last position before `from` (up to LOOKBACK_S earlier); with none, a range
 * that opens with ACC on starts with an "on" event, as the gateway's tracker does.
 */
import type { Db } from '../db.js';

export interface IgnitionEvent {
  ts: number;
  on: 0 | 1;
  latE6: number;
  lonE6: number;
}

const LOOKBACK_S = 7 * 86_400;

export async function ignitionEvents(db: Db, terminal: string, from: number, to: number): Promise<IgnitionEvent[]> {
  const before = await db.query<{ acc: number; n: number }>(
    `SELECT toUInt8(bitAnd(argMax(status, ts), 1)) AS acc, count() AS n FROM ${db.t('positions')}
     WHERE terminal = {terminal:String} AND ts >= {since:DateTime} AND ts < {from:DateTime}`,
    { terminal, since: Math.max(0, from - LOOKBACK_S), from },
  );
  let acc = before.length > 0 && Number(before[0].n) > 0 ? Number(before[0].acc) : 0;
  const rows = await db.query<{ ts: number; acc: number; lat: number; lon: number }>(
    `SELECT toUInt32(ts) AS ts, toUInt8(bitAnd(status, 1)) AS acc, lat, lon FROM ${db.t('positions')}
     WHERE terminal = {terminal:String} AND ts >= {from:DateTime} AND ts < {to:DateTime}
     ORDER BY ts, recv_delay DESC
     LIMIT 1 BY ts`,
    { terminal, from, to },
  );
  const events: IgnitionEvent[] = [];
  for (const r of rows) {
    const a = Number(r.acc) ? 1 : 0;
    if (a !== acc) events.push({ ts: Number(r.ts), on: a, latE6: Number(r.lat), lonE6: Number(r.lon) });
    acc = a;
  }
  return events;
}
