/**
 * Fleet report rows: one per terminal over local days [fromDay, toDay), summed from vehicle_daily (one row per
 * terminal-day, current revision) — never from raw positions, so a quarter for 30,000 terminals reads ~2.8 M
 * small rows (CLICKHOUSE.md §4.5). Trips outside working hours come from the trips of those same current
 * revisions, without joining the two tables (bench/api.ts: a hash join of 1.4 M outside trip-days against
 * 2.8 M daily rows took 4–8 s on 2 busy cores; the form below 0.5–1 s).
 *
 * FINAL merges only within a partition (`do_not_merge_across_partitions_select_final`): both tables are
 * partitioned by month of `day` and keyed by it, so copies of a row never sit in different partitions. (Reading
 * single-part partitions without FINAL was tried: no gain on a merged quarter, the aggregation is the cost.)
 */
import type { Db } from '../db.js';
import { RowBinaryReader } from './row-binary.js';

const FINAL_SETTINGS = 'SETTINGS do_not_merge_across_partitions_select_final = 1';

export interface FleetTotals {
  terminal: string;
  /** Chosen distance per day, summed; and the parts of it that came from each source. */
  distanceM: number;
  odometerSourceM: number;
  gpsSourceM: number;
  trips: number;
  driveS: number;
  idleS: number;
  fuelUsedDl: number;
  /** Days with at least one trip. */
  daysUsed: number;
  /** Days with figures (any report at all). */
  daysReported: number;
  /** 0.1 km/h. */
  maxSpeed: number;
}

export async function fleetTotals(db: Db, fromDay: string, toDay: string): Promise<FleetTotals[]> {
  const r = new RowBinaryReader(await db.queryBytes(
    `SELECT toString(terminal), toUInt64(sum(distance_m)), toUInt64(sumIf(distance_m, distance_source = 'odometer')),
            toUInt64(sumIf(distance_m, distance_source = 'gps')), toUInt32(sum(trips)), toUInt64(sum(drive_s)),
            toUInt64(sum(idle_s)), toInt64(sum(fuel_used_dl)), toUInt32(countIf(trips > 0)), toUInt32(count()),
            toUInt32(max(max_speed))
     FROM ${db.t('vehicle_daily')} FINAL
     WHERE day >= {from:Date} AND day < {to:Date}
     GROUP BY terminal ORDER BY terminal
     ${FINAL_SETTINGS}`,
    { from: fromDay, to: toDay },
    'RowBinary',
  ));
  const out: FleetTotals[] = [];
  while (!r.done) {
    out.push({
      terminal: r.str(), distanceM: r.u64(), odometerSourceM: r.u64(), gpsSourceM: r.u64(), trips: r.u32(), driveS: r.u64(), idleS: r.u64(),
      fuelUsedDl: r.i64(), daysUsed: r.u32(), daysReported: r.u32(), maxSpeed: r.u32(),
    });
  }
  return out;
}

/**
 * Working windows per local day of the range, as UTC instants (the caller converts local times, DST included):
 * day i (0-based from fromDay) has windows starts/ends[first[i] − 1 …] (first is 1-based), count[i] of them.
 */
export interface DayWindows {
  starts: number[];
  ends: number[];
  first: number[];
  count: number[];
}

export interface OutsideHours {
  terminal: string;
  trips: number;
  /** Whole trips' distance, from the source their day's figure uses. */
  distanceM: number;
}

/**
 * Trips not wholly inside one working window of their start day, per terminal, from the current revision of
 * their day, with the distance of the source that day's figure uses. Exact, without a join:
 * - current revision: revision 1 unless the day was restated (few days: a small set with max(revision), which
 *   is the current one since revisions only grow);
 * - distance: a trip's own `odo_m > 0 ? odo_m : gps_m` equals "its day's source" (reconcile.ts) except on two
 *   kinds of days, found in small sets and corrected: GPS-sourced days that had odometer readings (anomalies:
 *   use gps_m), and odometer-sourced days with a trip that moved by GPS but not by the odometer (use 0). Days
 *   without an odometer are GPS-sourced and their trips have odo_m = 0, so they need nothing. The current
 *   source of a candidate day is read with argMax(…, computed_at).
 */
export async function outsideHours(db: Db, fromDay: string, toDay: string, w: DayWindows): Promise<OutsideHours[]> {
  const vd = db.t('vehicle_daily');
  const range = 'day >= {from:Date} AND day < {to:Date}';
  const restated = `(SELECT terminal, day, max(revision) FROM ${vd} WHERE ${range} AND revision > 1 GROUP BY terminal, day)`;
  // Inside the k-th window of its day, for each k: transform() looks the day's bounds up in a hash of constants.
  // Per-row arraySlice/arrayExists over the window arrays cost ≈2× the CPU of the whole rest of this read
  // (246 against 142 ms for 4.7 M trips; system.events, bench/api.ts data).
  const ranks = windowRanks(w);
  const rankParams: Record<string, number[]> = {};
  const inside = ranks.map((r, k) => {
    Object.assign(rankParams, { [`wd${k}`]: r.days, [`ws${k}`]: r.starts, [`we${k}`]: r.ends });
    return `(s >= transform(d, {wd${k}:Array(UInt32)}, {ws${k}:Array(UInt32)}, toUInt32(4294967295)) AND e <= transform(d, {wd${k}:Array(UInt32)}, {we${k}:Array(UInt32)}, toUInt32(0)))`;
  });
  const r = new RowBinaryReader(await db.queryBytes(
    `SELECT toString(terminal), toUInt32(count()), toInt64(
       toInt64(sum(if(odo_m > 0, odo_m, gps_m)))
       + toInt64(sumIf(toInt64(gps_m) - odo_m, odo_m > 0 AND (terminal, day) IN (
           SELECT terminal, day FROM ${vd}
           WHERE (terminal, day) IN (SELECT terminal, day FROM ${vd} WHERE ${range} AND distance_source != 'odometer' AND odo_segments > 0)
           GROUP BY terminal, day HAVING argMax(distance_source, computed_at) != 'odometer')))
       - toInt64(sumIf(gps_m, odo_m = 0 AND (terminal, day) IN (
           SELECT terminal, day FROM ${vd}
           WHERE (terminal, day) IN (SELECT terminal, day FROM ${db.t('trips')} WHERE ${range} AND odo_m = 0 AND gps_m > 0)
           GROUP BY terminal, day HAVING argMax(distance_source, computed_at) = 'odometer'))))
     FROM (
       SELECT terminal, day, revision, odo_m, gps_m, toUInt32(day - {from:Date}) AS d, toUInt32(start_ts) AS s, toUInt32(end_ts) AS e
       FROM ${db.t('trips')} FINAL WHERE ${range}
     )
     WHERE NOT (${inside.join(' OR ') || '0'})
       AND ((revision = 1 AND (terminal, day) NOT IN (SELECT terminal, day FROM ${restated})) OR (terminal, day, revision) IN ${restated})
     GROUP BY terminal ORDER BY terminal
     ${FINAL_SETTINGS}`,
    { from: fromDay, to: toDay, ...rankParams },
    'RowBinary',
  ));
  const out: OutsideHours[] = [];
  while (!r.done) out.push({ terminal: r.str(), trips: r.u32(), distanceM: r.i64() });
  return out;
}

/** Each day's k-th working window (k from 0), for the days that have one. */
function windowRanks(w: DayWindows): { days: number[]; starts: number[]; ends: number[] }[] {
  const ranks: { days: number[]; starts: number[]; ends: number[] }[] = [];
  for (let day = 0; day < w.count.length; day++) {
    for (let k = 0; k < w.count[day]; k++) {
      const r = (ranks[k] ??= { days: [], starts: [], ends: [] });
      r.days.push(day);
      r.starts.push(w.starts[w.first[day] - 1 + k]);
      r.ends.push(w.ends[w.first[day] - 1 + k]);
    }
  }
  return ranks;
}

/**
 * A fingerprint of the active parts of both tables in the range's partitions: it changes whenever their
 * figures can (the rollup inserts; merges change it too, costing only a recompute). A metadata read;
 * undefined on a cluster, whose parts live on other nodes.
 */
export async function reportGeneration(db: Db, fromDay: string, toDay: string): Promise<string | undefined> {
  if (db.cluster) return undefined;
  const month = (day: string): string => day.slice(0, 7).replace('-', '');
  const rows = await db.query<{ table: string; p: string; n: number; rows: number; t: number; b: number }>(
    `SELECT table, partition_id AS p, toUInt32(count()) AS n, toUInt64(sum(rows)) AS rows, toUInt32(max(modification_time)) AS t,
            toUInt64(sum(bytes_on_disk)) AS b
     FROM system.parts
     WHERE database = {db:String} AND table IN ('vehicle_daily', 'trips') AND active
       AND partition_id >= {fromMonth:String} AND partition_id <= {toMonth:String}
     GROUP BY table, partition_id ORDER BY table, partition_id`,
    { db: db.database, fromMonth: month(fromDay), toMonth: month(toDay) },
  );
  return rows.map((r) => `${r.table}:${r.p}:${r.n}:${r.rows}:${r.t}:${r.b}`).join(',');
}
