/**
 * Daily figures (current revision) and their restatement history. Quarterly reports sum these rows;
 * nothing here scans raw positions.
 */
import type { Db } from '../db.js';
import { VEHICLE_DAILY, VEHICLE_DAILY_REVISIONS, type Column } from '../schema.js';

export type DailyRow = Record<string, string | number>;

function selectList(columns: readonly Column[]): string {
  return columns
    .map((c) => (c.type.startsWith('DateTime') ? `toUInt32(${c.name}) AS ${c.name}` : c.name))
    .join(', ');
}

/** Current figures for a day range ('YYYY-MM-DD', inclusive), optionally for some terminals. */
export async function dailyFigures(db: Db, fromDay: string, toDay: string, terminals?: readonly string[]): Promise<DailyRow[]> {
  return db.query<DailyRow>(
    `SELECT ${selectList(VEHICLE_DAILY.columns)} FROM ${db.t('vehicle_daily')} FINAL
     WHERE day >= {from:Date} AND day <= {to:Date}${terminals ? ' AND terminal IN {terminals:Array(String)}' : ''}
     ORDER BY terminal, day`,
    terminals ? { from: fromDay, to: toDay, terminals } : { from: fromDay, to: toDay },
  );
}

/** Every revision of one terminal-day, oldest first, with reason and changes. */
export async function restatements(db: Db, terminal: string, day: string): Promise<DailyRow[]> {
  return db.query<DailyRow>(
    `SELECT ${selectList(VEHICLE_DAILY_REVISIONS.columns)} FROM ${db.t('vehicle_daily_revisions')}
     WHERE terminal = {terminal:String} AND day = {day:Date}
     ORDER BY revision, computed_at DESC LIMIT 1 BY revision`,
    { terminal, day },
  );
}
