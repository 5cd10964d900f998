/**
 * Table definitions, rendered for the server at hand: codecs, LowCardinality, EPHEMERAL and the
 * dedup window only where the version has them (18.16 gets plain types), and on a cluster a Replicated
 * `<name>_local` table on every node plus a Distributed `<name>` sharded by terminal.
 */
import type { Db } from './db.js';

export interface Column {
  name: string;
  /** Type as on a modern server; `LowCardinality(T)` degrades to `T` where unsupported. */
  type: string;
  codec?: string;
  /** `DEFAULT <expr>` (or `EPHEMERAL …` verbatim). */
  default?: string;
  /** `ALIAS <expr>`: computed on read, stores nothing. */
  alias?: string;
  /** Exists only on servers with EPHEMERAL columns (the hex-in, binary-stored pair of `extras`). */
  modernOnly?: boolean;
  /** Used instead of this column where EPHEMERAL is missing. */
  legacyOnly?: boolean;
}

export interface TableSpec {
  name: string;
  columns: readonly Column[];
  engine: 'MergeTree' | 'ReplacingMergeTree';
  /** ReplacingMergeTree version column. */
  version?: string;
  partitionBy?: string;
  orderBy: string;
  /** Keep the last N insert blocks' hashes/tokens (retry dedup) on a non-replicated table. */
  dedupWindow?: number;
  /** Days to keep, on servers with TTL (bookkeeping tables only). */
  ttlDays?: { column: string; days: number };
  /** Cluster: replicate to every node instead of sharding (small bookkeeping tables). */
  global?: boolean;
}

/** Sharding key of every per-terminal table: all of a terminal's rows on one shard (tracks, windows stay local). */
export const SHARD_KEY = 'cityHash64(terminal)';

function columnDdl(db: Db, c: Column): string | undefined {
  const f = db.info.features;
  if (c.modernOnly && !f.ephemeral) return undefined;
  if (c.legacyOnly && f.ephemeral) return undefined;
  const type = f.lowCardinality ? c.type : c.type.replace(/^LowCardinality\((.+)\)$/, '$1');
  let s = `${c.name} ${type}`;
  if (c.default) s += ` ${c.default.startsWith('EPHEMERAL') ? c.default : `DEFAULT ${c.default}`}`;
  if (c.alias) s += ` ALIAS ${c.alias}`;
  if (c.codec && f.codecs) s += ` CODEC(${c.codec})`;
  return s;
}

function engineDdl(db: Db, t: TableSpec): string {
  const args = t.version ? [t.version] : [];
  if (!db.cluster) return `${t.engine}(${args.join(', ')})`;
  const zkPath = t.global ? `/clickhouse/tables/global/${db.database}/${t.name}` : `/clickhouse/tables/{shard}/${db.database}/${t.name}_local`;
  return `Replicated${t.engine}('${zkPath}', '{replica}'${args.map((a) => `, ${a}`).join('')})`;
}

/** CREATE statements for one table (two on a cluster for sharded tables), all idempotent. */
export function createTableDdl(db: Db, t: TableSpec): string[] {
  const f = db.info.features;
  const cols = t.columns.map((c) => columnDdl(db, c)).filter((c): c is string => c !== undefined);
  const storage = t.global ? db.t(t.name) : db.local(t.name);
  const settings: string[] = [];
  if (t.dedupWindow && f.dedupToken && !db.cluster) settings.push(`non_replicated_deduplication_window = ${t.dedupWindow}`);
  const ddl = [
    `CREATE TABLE IF NOT EXISTS ${storage}${db.onCluster} (\n  ${cols.join(',\n  ')}\n)`,
    `ENGINE = ${engineDdl(db, t)}`,
    t.partitionBy ? `PARTITION BY ${t.partitionBy}` : '',
    `ORDER BY ${t.orderBy}`,
    t.ttlDays && f.codecs ? `TTL ${t.ttlDays.column} + INTERVAL ${t.ttlDays.days} DAY` : '',
    settings.length ? `SETTINGS ${settings.join(', ')}` : '',
  ].filter(Boolean);
  const out = [ddl.join('\n')];
  if (db.cluster && !t.global) {
    out.push(
      `CREATE TABLE IF NOT EXISTS ${db.t(t.name)}${db.onCluster} AS ${storage} ` +
        `ENGINE = Distributed(${db.cluster}, ${db.database}, ${t.name}_local, ${SHARD_KEY})`,
    );
  }
  return out;
}

const DD = 'DoubleDelta, ZSTD(1)';
const Z = 'ZSTD(1)';

/**
 * Positions: one row per report; the sorting key (terminal, ts) is also the dedup key (resends collapse).
 * Codecs are the measured best per column (CLICKHOUSE.md §2.3 and bench/store.ts): the receive time is kept
 * as the delay after device time (0.32 B/row against 0.60 for a DateTime), extras need ZSTD(3) (0.085 against
 * 0.34 B/row with ZSTD(1)).
 */
export const POSITIONS: TableSpec = {
  name: 'positions',
  engine: 'ReplacingMergeTree',
  version: 'recv_delay', // a resend (same ts, received later) keeps the newest copy
  partitionBy: 'toYYYYMM(ts)',
  orderBy: '(terminal, ts)',
  dedupWindow: 1000,
  columns: [
    { name: 'terminal', type: 'LowCardinality(String)' },
    { name: 'ts', type: "DateTime('UTC')", codec: DD },
    { name: 'recv_delay', type: 'Int32', codec: `T64, ${Z}` }, // receive time − device time, s
    { name: 'recv_ts', type: "DateTime('UTC')", alias: 'ts + recv_delay' },
    { name: 'lat', type: 'Int32', codec: DD },
    { name: 'lon', type: 'Int32', codec: DD },
    { name: 'speed', type: 'UInt16', codec: `T64, ${Z}` },
    { name: 'direction', type: 'UInt16', codec: `Delta, ${Z}` },
    { name: 'altitude', type: 'Int32', codec: DD },
    { name: 'alarm', type: 'UInt32', codec: `T64, ${Z}` },
    { name: 'status', type: 'UInt32', codec: Z },
    { name: 'odometer', type: 'UInt32', codec: DD },
    { name: 'fuel', type: 'UInt16', codec: `Delta, ${Z}` },
    { name: 'satellites', type: 'UInt8', codec: `Delta, ${Z}` },
    { name: 'signal', type: 'UInt8', codec: `Delta, ${Z}` },
    { name: 'backfill', type: 'UInt8', codec: Z },
    // Extras arrive as hex and are kept as raw bytes (half the size) where EPHEMERAL exists.
    { name: 'extras_hex', type: 'String', default: "EPHEMERAL ''", modernOnly: true },
    { name: 'extras', type: 'String', default: 'unhex(extras_hex)', codec: 'ZSTD(3)', modernOnly: true },
    { name: 'extras', type: 'String', codec: 'ZSTD(3)', legacyOnly: true },
  ],
};

/**
 * Positions kept in compact parts whatever their size (migration 4): a track reads 11 columns of a few granules,
 * and one file per part costs less to open and read than one per column.
 */
export const COMPACT_POSITIONS = 'min_bytes_for_wide_part = 1000000000000000, min_rows_for_wide_part = 1000000000000000';

/**
 * Wider merges for positions (migration 5): with the default base (5) merges rewrite each row more often. At 10,
 * the engine spends ≈30 % less CPU per stored row under ingest (1.9 → 1.3–1.4 µs, bench/merges.ts), and the
 * parts settle to as few as before.
 */
export const POSITIONS_MERGES = 'merge_selector_base = 10';

/** ACC transitions as the decoder saw them; (terminal, ts, on) collapses replays. */
export const IGNITION_EVENTS: TableSpec = {
  name: 'ignition_events',
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(ts)',
  orderBy: '(terminal, ts, on)',
  dedupWindow: 1000,
  columns: [
    { name: 'terminal', type: 'LowCardinality(String)' },
    { name: 'ts', type: "DateTime('UTC')", codec: DD },
    { name: 'on', type: 'UInt8', codec: Z },
    { name: 'lat', type: 'Int32', codec: Z },
    { name: 'lon', type: 'Int32', codec: Z },
  ],
};

/** Registration facts; the newest last_seen wins, first_seen is min()'d on read. */
export const TERMINALS: TableSpec = {
  name: 'terminals',
  engine: 'ReplacingMergeTree',
  version: 'last_seen',
  orderBy: 'terminal',
  columns: [
    { name: 'terminal', type: 'String' },
    { name: 'province', type: 'UInt16' },
    { name: 'city', type: 'UInt16' },
    { name: 'manufacturer', type: 'String' },
    { name: 'model', type: 'String' },
    { name: 'device_id', type: 'String' },
    { name: 'plate_color', type: 'UInt8' },
    { name: 'plate', type: 'String' },
    { name: 'auth_code', type: 'String' },
    { name: 'protocol_version', type: 'UInt16' },
    { name: 'first_seen', type: "DateTime('UTC')" },
    { name: 'last_seen', type: "DateTime('UTC')" },
  ],
};

/** The sink's intent log: one row per batch, written before the batch (see sink.ts, "replay"). */
export const INGEST_BATCHES: TableSpec = {
  name: 'ingest_batches',
  engine: 'MergeTree',
  orderBy: '(sink, created_at)',
  ttlDays: { column: 'created_at', days: 30 },
  global: true,
  columns: [
    { name: 'sink', type: 'String' },
    { name: 'to_key', type: 'String' },
    { name: 'positions', type: 'UInt32' },
    { name: 'ignition', type: 'UInt32' },
    { name: 'created_at', type: "DateTime('UTC')", default: 'now()' },
  ],
};

/** Late rows for days that may already be rolled up: what the rollup must restate (written with the rows). */
export const ROLLUP_DIRTY: TableSpec = {
  name: 'rollup_dirty',
  engine: 'MergeTree',
  partitionBy: 'toYYYYMM(day)',
  orderBy: '(day, terminal, marked_at)',
  ttlDays: { column: 'marked_at', days: 400 },
  columns: [
    { name: 'day', type: 'Date' },
    { name: 'terminal', type: 'LowCardinality(String)' },
    { name: 'rows', type: 'UInt32' },
    { name: 'backfill_rows', type: 'UInt32' },
    { name: 'marked_at', type: "DateTime('UTC')", default: 'now()' },
  ],
};

/** Figures of one terminal-day; columns shared by vehicle_daily and its revision history. */
const DAILY_COLUMNS: readonly Column[] = [
  { name: 'terminal', type: 'LowCardinality(String)' },
  { name: 'day', type: 'Date' },
  { name: 'revision', type: 'UInt32' },
  { name: 'distance_m', type: 'UInt32' }, // the chosen figure
  { name: 'distance_source', type: 'LowCardinality(String)' }, // odometer | gps | none
  { name: 'distance_rule', type: 'LowCardinality(String)' }, // why (reconcile.ts)
  { name: 'gps_m', type: 'UInt32' },
  { name: 'odo_m', type: 'UInt32' },
  { name: 'gap_m', type: 'UInt32' }, // part of gps_m bridged across reporting gaps
  { name: 'trips', type: 'UInt16' },
  { name: 'short_trips', type: 'UInt16' },
  { name: 'drive_s', type: 'UInt32' },
  { name: 'idle_s', type: 'UInt32' },
  { name: 'off_s', type: 'UInt32' },
  { name: 'gap_s', type: 'UInt32' },
  { name: 'fuel_used_dl', type: 'Int32' },
  { name: 'refuels', type: 'UInt16' },
  { name: 'refuel_dl', type: 'UInt32' },
  { name: 'max_speed', type: 'UInt16' },
  { name: 'points', type: 'UInt32' },
  { name: 'backfill_points', type: 'UInt32' },
  { name: 'invalid_points', type: 'UInt32' },
  { name: 'first_ts', type: "DateTime('UTC')" },
  { name: 'last_ts', type: "DateTime('UTC')" },
  { name: 'gps_jumps', type: 'UInt32' },
  { name: 'odo_resets', type: 'UInt16' },
  { name: 'odo_jumps', type: 'UInt16' },
  { name: 'odo_segments', type: 'UInt32' },
  { name: 'gps_segments', type: 'UInt32' },
  { name: 'rules', type: 'LowCardinality(String)' },
  { name: 'digest', type: 'String' },
  { name: 'computed_at', type: "DateTime('UTC')" },
];

/** Current figures per terminal per local day; the newest computation wins. */
export const VEHICLE_DAILY: TableSpec = {
  name: 'vehicle_daily',
  engine: 'ReplacingMergeTree',
  version: 'computed_at',
  partitionBy: 'toYYYYMM(day)',
  orderBy: '(terminal, day)',
  columns: DAILY_COLUMNS,
};

/** Restatement history: every revision of every terminal-day, with the reason and what changed. */
export const VEHICLE_DAILY_REVISIONS: TableSpec = {
  name: 'vehicle_daily_revisions',
  engine: 'ReplacingMergeTree',
  version: 'computed_at',
  partitionBy: 'toYYYYMM(day)',
  orderBy: '(terminal, day, revision)',
  columns: [
    ...DAILY_COLUMNS,
    { name: 'reason', type: 'LowCardinality(String)' },
    { name: 'late_rows', type: 'UInt32' },
    { name: 'changes', type: 'String' },
  ],
};

/** Trips (ACC-on runs after the rule set's merging), per revision of their start day. */
export const TRIPS: TableSpec = {
  name: 'trips',
  engine: 'ReplacingMergeTree',
  version: 'computed_at',
  partitionBy: 'toYYYYMM(day)',
  orderBy: '(terminal, day, revision, start_ts)',
  columns: [
    { name: 'terminal', type: 'LowCardinality(String)' },
    { name: 'day', type: 'Date' },
    { name: 'revision', type: 'UInt32' },
    { name: 'trip_id', type: 'String' },
    { name: 'start_ts', type: "DateTime('UTC')" },
    { name: 'end_ts', type: "DateTime('UTC')" },
    { name: 'end_reason', type: 'LowCardinality(String)' }, // acc_off | gap | open
    { name: 'drive_s', type: 'UInt32' },
    { name: 'idle_s', type: 'UInt32' },
    { name: 'gps_m', type: 'UInt32' },
    { name: 'odo_m', type: 'UInt32' },
    { name: 'max_speed', type: 'UInt16' },
    { name: 'points', type: 'UInt32' },
    { name: 'start_lat', type: 'Int32' },
    { name: 'start_lon', type: 'Int32' },
    { name: 'end_lat', type: 'Int32' },
    { name: 'end_lon', type: 'Int32' },
    { name: 'computed_at', type: "DateTime('UTC')" },
  ],
};

/** Completed full-day rollups (the fleet-wide pass), so the scheduler knows which days are closed. */
export const ROLLUP_RUNS: TableSpec = {
  name: 'rollup_runs',
  engine: 'MergeTree',
  orderBy: '(day, finished_at)',
  global: true,
  columns: [
    { name: 'day', type: 'Date' },
    { name: 'rules', type: 'String' },
    { name: 'terminals', type: 'UInt32' },
    { name: 'started_at', type: "DateTime('UTC')" },
    { name: 'finished_at', type: "DateTime('UTC')" },
  ],
};

export const SCHEMA_MIGRATIONS: TableSpec = {
  name: 'schema_migrations',
  engine: 'ReplacingMergeTree',
  version: 'applied_at',
  orderBy: 'version',
  global: true,
  columns: [
    { name: 'version', type: 'UInt32' },
    { name: 'name', type: 'String' },
    { name: 'checksum', type: 'String' },
    { name: 'applied_at', type: "DateTime('UTC')" },
  ],
};
