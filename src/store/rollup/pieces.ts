/**
 * One window pass over positions: consecutive reports of a terminal form segments (point → next point), and
 * segments are grouped into pieces — runs with the same ACC state inside one local day, cut at reporting gaps.
 * Pieces are few (a handful per terminal-day), so the rules that need judgement (trip merging, mileage choice)
 * run in Node on them (reduce.ts), while ClickHouse does the per-row work.
 *
 * Duplicates (a resend not merged yet) are harmless: a segment to an identical timestamp has sdt = 0 and adds
 * nothing, and a duplicate is never a boundary. Ties are ordered by recv_delay, as the ReplacingMergeTree
 * keeps the newest copy.
 */
import type { Db } from '../db.js';
import type { RollupRules } from './rules.js';

/** Why a piece starts. Precedence: first row > duplicate > gap > ACC change > local midnight. */
export const REASON = { none: 0, first: 1, gap: 2, acc: 3, day: 4 } as const;

export interface Piece {
  terminal: string;
  piece: number;
  acc: 0 | 1;
  startReason: number;
  /** Local day of the piece (all its points are in it). */
  day: string;
  startTs: number;
  lastTs: number;
  /** Time of the point after the piece (= lastTs when there is none in the window). */
  nextTs: number;
  points: number;
  backfillPoints: number;
  invalidPoints: number;
  maxSpeed: number;
  segments: number;
  gpsM: number;
  gapM: number;
  gpsSegments: number;
  gpsJumps: number;
  /** Odometer increase, 0.1 km. */
  odoDm: number;
  /** Part of odoDm across reporting gaps (no trip owns it). */
  gapOdoDm: number;
  odoSegments: number;
  odoResets: number;
  odoJumps: number;
  fuelUsedDl: number;
  refuels: number;
  refuelDl: number;
  /** Seconds within the piece's day, by the state of the segment's first point. */
  driveS: number;
  idleS: number;
  offS: number;
  /** Seconds of the last segment that fall after midnight (they belong to the next day). */
  carryDriveS: number;
  carryIdleS: number;
  carryOffS: number;
  startLat: number;
  startLon: number;
  endLat: number;
  endLon: number;
  /** Coordinates of the point after the piece. */
  nextLat: number;
  nextLon: number;
}

export interface PiecesQuery {
  from: number;
  to: number;
  timezone: string;
  terminals?: readonly string[];
  /** Split a fleet-wide pass into hash buckets to bound memory: `cityHash64(terminal) % of = index`. */
  bucket?: { index: number; of: number };
}

/** SQL for the pass; numbers are cast so 18.16-style quoting of 64-bit ints never matters. */
export function piecesSql(db: Db, r: RollupRules, q: PiecesQuery): string {
  const where = [
    'ts >= {from:DateTime}',
    'ts < {to:DateTime}',
    q.terminals ? 'terminal IN {terminals:Array(String)}' : '',
    q.bucket ? 'cityHash64(terminal) % {bucketOf:UInt32} = {bucket:UInt32}' : '',
  ].filter(Boolean);
  const fix = r.requireFixBit ? 'bitAnd(status, 2) != 0 AND ' : '';
  const timed = (cond: string): string => `toUInt32(sumIf(in_s, timed AND ${cond}))`;
  const carry = (cond: string): string => `toUInt32(sumIf(sdt - in_s, timed AND ${cond}))`;
  const drive = 'ac = 1 AND speed >= {mov:UInt16}';
  const idle = 'ac = 1 AND speed < {mov:UInt16}';
  const settings = [
    'optimize_read_in_window_order = 1', // CLICKHOUSE.md §4.5: 11.5 s / 375 MB instead of 20 s / 2.8 GB per fleet-day
    ...(db.cluster ? ['distributed_group_by_no_merge = 1'] : []), // whole pass per shard: rows are sharded by terminal
  ];
  return `
SELECT terminal, piece,
  toUInt8(any(ac)) AS acc,
  toUInt8(max(reason)) AS start_reason,
  toString(toDate(min(ts), {tz:String})) AS day,
  toUInt32(min(ts)) AS start_ts, toUInt32(max(ts)) AS last_ts, toUInt32(max(n_ts)) AS next_ts,
  toUInt32(countIf(ts != p_ts)) AS points,
  toUInt32(countIf(ts != p_ts AND backfill = 1)) AS backfill_points,
  toUInt32(countIf(ts != p_ts AND NOT valid)) AS invalid_points,
  toUInt16(max(speed)) AS max_speed,
  toUInt32(countIf(sdt > 0)) AS segments,
  toUInt32(sum(seg_m)) AS gps_m,
  toUInt32(sumIf(seg_m, sdt > {gap:UInt32})) AS gap_m,
  toUInt32(countIf(gps_seg)) AS gps_segments,
  toUInt32(countIf(jump)) AS gps_jumps,
  toUInt32(sumIf(dm, odo_ok)) AS odo_dm,
  toUInt32(sumIf(dm, odo_ok AND sdt > {gap:UInt32})) AS gap_odo_dm,
  toUInt32(countIf(odo_seg)) AS odo_segments,
  toUInt32(countIf(odo_seg AND dm < 0)) AS odo_resets,
  toUInt32(countIf(odo_seg AND dm >= 0 AND NOT odo_ok)) AS odo_jumps,
  toInt32(sumIf(-df, fuel_seg AND df < {refuel:Int32})) AS fuel_used_dl,
  toUInt32(countIf(fuel_seg AND df >= {refuel:Int32})) AS refuels,
  toUInt32(sumIf(df, fuel_seg AND df >= {refuel:Int32})) AS refuel_dl,
  ${timed(drive)} AS drive_s, ${timed(idle)} AS idle_s, ${timed('ac = 0')} AS off_s,
  ${carry(drive)} AS carry_drive_s, ${carry(idle)} AS carry_idle_s, ${carry('ac = 0')} AS carry_off_s,
  argMin(lat, ts) AS start_lat, argMin(lon, ts) AS start_lon,
  argMax(lat, ts) AS end_lat, argMax(lon, ts) AS end_lon,
  argMax(n_lat, n_ts) AS next_lat, argMax(n_lon, n_ts) AS next_lon
FROM (
  SELECT *, sum(toUInt32(reason != 0)) OVER (PARTITION BY terminal ORDER BY ts, recv_delay ROWS UNBOUNDED PRECEDING) AS piece
  FROM (
    SELECT *,
      multiIf(p_ts = toDateTime(0, 'UTC'), 1, ts = p_ts, 0, ts - p_ts > {gap:UInt32}, 2, ac != p_acc, 3,
              toDate(ts, {tz:String}) != toDate(p_ts, {tz:String}), 4, 0) AS reason,
      toUInt32(n_ts - ts) AS sdt,
      sdt > 0 AND sdt <= {gap:UInt32} AS timed,
      toUInt32(toDateTime(toDate(ts, {tz:String}) + 1, {tz:String})) AS next_midnight,
      if(toUInt32(n_ts) > next_midnight, next_midnight - toUInt32(ts), sdt) AS in_s,
      sdt > 0 AND valid AND n_valid AS both_valid,
      if(both_valid, geoDistance(lon / 1e6, lat / 1e6, n_lon / 1e6, n_lat / 1e6), 0) AS d,
      both_valid AND d > {vmax:UInt32} * sdt AS jump,
      both_valid AND NOT jump AND (greatest(speed, n_speed) >= {mov:UInt16} OR d >= {drift:UInt32}) AS gps_seg,
      if(gps_seg, toUInt32(round(d)), 0) AS seg_m,
      sdt > 0 AND odometer > 0 AND n_odo > 0 AS odo_seg,
      toInt64(n_odo) - toInt64(odometer) AS dm,
      odo_seg AND dm >= 0 AND dm * 100 <= {vmax:UInt32} * sdt + 100 AS odo_ok,
      sdt > 0 AND fuel > 0 AND n_fuel > 0 AS fuel_seg,
      toInt32(n_fuel) - toInt32(fuel) AS df
    FROM (
      SELECT terminal, ts, recv_delay, lat, lon, speed, odometer, fuel, backfill, ac, valid,
        lagInFrame(ts, 1, toDateTime(0, 'UTC')) OVER wp AS p_ts,
        lagInFrame(ac, 1, ac) OVER wp AS p_acc,
        leadInFrame(ts, 1, ts) OVER wn AS n_ts,
        leadInFrame(lat, 1, lat) OVER wn AS n_lat,
        leadInFrame(lon, 1, lon) OVER wn AS n_lon,
        leadInFrame(speed, 1, speed) OVER wn AS n_speed,
        leadInFrame(odometer, 1, odometer) OVER wn AS n_odo,
        leadInFrame(fuel, 1, fuel) OVER wn AS n_fuel,
        leadInFrame(valid, 1, valid) OVER wn AS n_valid
      FROM (
        SELECT terminal, ts, recv_delay, lat, lon, speed, odometer, fuel, backfill,
          toUInt8(bitAnd(status, 1)) AS ac,
          ${fix}(lat != 0 OR lon != 0) AS valid
        FROM ${db.t('positions')}
        WHERE ${where.join(' AND ')}
      )
      WINDOW wp AS (PARTITION BY terminal ORDER BY ts, recv_delay ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
             wn AS (PARTITION BY terminal ORDER BY ts, recv_delay ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
    )
  )
)
GROUP BY terminal, piece
ORDER BY terminal, piece
SETTINGS ${settings.join(', ')}`;
}

interface PieceRow {
  terminal: string; piece: number | string; acc: number; start_reason: number; day: string;
  start_ts: number; last_ts: number; next_ts: number; points: number; backfill_points: number;
  invalid_points: number; max_speed: number; segments: number; gps_m: number; gap_m: number;
  gps_segments: number; gps_jumps: number; odo_dm: number; gap_odo_dm: number; odo_segments: number; odo_resets: number;
  odo_jumps: number; fuel_used_dl: number; refuels: number; refuel_dl: number; drive_s: number; idle_s: number;
  off_s: number; carry_drive_s: number; carry_idle_s: number; carry_off_s: number; start_lat: number;
  start_lon: number; end_lat: number; end_lon: number; next_lat: number; next_lon: number;
}

export async function queryPieces(db: Db, r: RollupRules, q: PiecesQuery): Promise<Piece[]> {
  const params: Record<string, string | number | readonly string[]> = {
    from: q.from, to: q.to, tz: q.timezone, gap: r.gapS, mov: r.movingSpeed, vmax: r.maxSpeedMps,
    drift: r.driftM, refuel: r.refuelDl,
  };
  if (q.terminals) params.terminals = q.terminals;
  if (q.bucket) {
    params.bucket = q.bucket.index;
    params.bucketOf = q.bucket.of;
  }
  const rows = await db.query<PieceRow>(piecesSql(db, r, q), params);
  return rows.map((x) => ({
    terminal: x.terminal, piece: Number(x.piece), acc: x.acc ? 1 : 0, startReason: x.start_reason, day: x.day,
    startTs: x.start_ts, lastTs: x.last_ts, nextTs: x.next_ts, points: x.points, backfillPoints: x.backfill_points,
    invalidPoints: x.invalid_points, maxSpeed: x.max_speed, segments: x.segments, gpsM: x.gps_m, gapM: x.gap_m,
    gpsSegments: x.gps_segments, gpsJumps: x.gps_jumps, odoDm: x.odo_dm, gapOdoDm: x.gap_odo_dm, odoSegments: x.odo_segments,
    odoResets: x.odo_resets, odoJumps: x.odo_jumps, fuelUsedDl: x.fuel_used_dl, refuels: x.refuels,
    refuelDl: x.refuel_dl, driveS: x.drive_s, idleS: x.idle_s, offS: x.off_s, carryDriveS: x.carry_drive_s,
    carryIdleS: x.carry_idle_s, carryOffS: x.carry_off_s, startLat: x.start_lat, startLon: x.start_lon,
    endLat: x.end_lat, endLon: x.end_lon, nextLat: x.next_lat, nextLon: x.next_lon,
  }));
}
