/**
 * Which local days the rollup has closed (a full-day pass recorded in rollup_runs), and whether a terminal
 * has ever reported. Days not closed yet (today, a day inside its lookahead and grace) are computed live.
 */
import type { Db } from '../db.js';

/** The latest closed day, or undefined before the first full-day pass. */
export async function lastClosedDay(db: Db): Promise<string | undefined> {
  const [r] = await db.query<{ day: string; n: number }>(
    `SELECT toString(max(day)) AS day, toUInt32(count()) AS n FROM ${db.t('rollup_runs')}`,
  );
  return r && Number(r.n) > 0 ? r.day : undefined;
}

/** True when the terminal has at least one stored position (a primary-key lookup). */
export async function hasPositions(db: Db, terminal: string): Promise<boolean> {
  const rows = await db.query<{ one: number }>(
    `SELECT toUInt8(1) AS one FROM ${db.t('positions')} WHERE terminal = {terminal:String} LIMIT 1`,
    { terminal },
  );
  return rows.length > 0;
}

/** Device time of the oldest stored position (epoch s), or undefined when there is none. Reads the ts column: only
 *  used before the rollup's first full-day pass, when the table is young. */
export async function firstPositionTs(db: Db): Promise<number | undefined> {
  const [r] = await db.query<{ t: number; n: number }>(
    `SELECT toUInt32(min(ts)) AS t, toUInt32(count()) AS n FROM ${db.t('positions')}`,
  );
  return r && Number(r.n) > 0 ? Number(r.t) : undefined;
}
