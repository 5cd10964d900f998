/**
 * The restatement feed: every revision of a terminal-day computed since a time, after the first one, with the
 * figures before and after and the cause (backfill, late_data, neighbour_day, rules_changed, recompute).
 */
import type { Db } from '../db.js';

export interface Figures {
  revision: number;
  distanceM: number;
  source: string;
  odoM: number;
  gpsM: number;
  trips: number;
  driveS: number;
  idleS: number;
  fuelUsedDl: number;
  /** 0.1 km/h. */
  maxSpeed: number;
}

export interface Revision {
  terminal: string;
  day: string;
  reason: string;
  lateRows: number;
  /** `field old→new; …` as the rollup wrote it. */
  changes: string;
  computedAt: number;
  before: Figures | undefined;
  after: Figures;
}

const FIGURES = `revision, distance_m, toString(distance_source) AS source, odo_m, gps_m, trips, drive_s, idle_s, fuel_used_dl, max_speed`;

type FigureRow = {
  revision: number; distance_m: number; source: string; odo_m: number; gps_m: number; trips: number; drive_s: number;
  idle_s: number; fuel_used_dl: number; max_speed: number;
};
type Row = FigureRow & { terminal: string; day: string; reason: string; late_rows: number; changes: string; computed_s: number };

const figures = (r: FigureRow): Figures => ({
  revision: Number(r.revision), distanceM: Number(r.distance_m), source: r.source, odoM: Number(r.odo_m), gpsM: Number(r.gps_m),
  trips: Number(r.trips), driveS: Number(r.drive_s), idleS: Number(r.idle_s), fuelUsedDl: Number(r.fuel_used_dl),
  maxSpeed: Number(r.max_speed),
});

export interface RevisionQuery {
  /** Epoch seconds: revisions computed at or after this, and before `until`. */
  since: number;
  until: number;
  terminal?: string;
  limit: number;
}

/** Oldest first (by computation time, then terminal and day); `limit` rows at most. */
export async function revisionsSince(db: Db, q: RevisionQuery): Promise<Revision[]> {
  const who = q.terminal === undefined ? '' : ' AND terminal = {terminal:String}';
  const params = { since: q.since, until: q.until, limit: q.limit, ...(q.terminal === undefined ? {} : { terminal: q.terminal }) };
  // A rerun after a crash may write a revision twice: the newest copy of each wins (LIMIT 1 BY).
  const page = await db.query<Row>(
    `SELECT * FROM (
       SELECT terminal, toString(day) AS day, reason, late_rows, changes, toUInt32(computed_at) AS computed_s, ${FIGURES}
       FROM ${db.t('vehicle_daily_revisions')}
       WHERE computed_at >= {since:DateTime} AND computed_at < {until:DateTime} AND revision > 1${who}
       ORDER BY terminal, day, revision, computed_at DESC LIMIT 1 BY terminal, day, revision)
     ORDER BY computed_s, terminal, day, revision
     LIMIT {limit:UInt32}`,
    params,
  );
  if (page.length === 0) return [];
  // The revisions they replaced, in one read.
  const keys = page.map((r) => `${r.terminal}|${r.day}|${Number(r.revision) - 1}`);
  // `d`, not `day`: the alias would replace the column in WHERE and lose partition pruning.
  const prior = await db.query<FigureRow & { terminal: string; d: string }>(
    `SELECT terminal, toString(day) AS d, ${FIGURES}
     FROM ${db.t('vehicle_daily_revisions')}
     WHERE concat(terminal, '|', toString(day), '|', toString(revision)) IN {keys:Array(String)}
       AND day IN {days:Array(String)}
     ORDER BY terminal, day, revision, computed_at DESC LIMIT 1 BY terminal, day, revision`,
    { keys, days: [...new Set(page.map((r) => r.day))] },
  );
  const before = new Map(prior.map((r) => [`${r.terminal}|${r.d}|${r.revision}`, figures(r)]));
  return page.map((r) => ({
    terminal: r.terminal, day: r.day, reason: r.reason, lateRows: Number(r.late_rows), changes: r.changes,
    computedAt: Number(r.computed_s), before: before.get(`${r.terminal}|${r.day}|${Number(r.revision) - 1}`), after: figures(r),
  }));
}
