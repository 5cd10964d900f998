/**
 * What the connected ClickHouse can do, from its version. Only 18.16 (Debian) and 26.7 (chdb) were measured
 * (shared/CLICKHOUSE.md §6); the thresholds in between are the documented first versions, rounded up. Table
 * settings with no documented first version are looked up in the server's system.merge_tree_settings instead.
 */
export interface ServerFeatures {
  /** `{name:Type}` query parameters (clickhouse-js `query_params`). Else values are inlined by bind.ts. */
  queryParams: boolean;
  /** Column CODEC(...) clauses (DoubleDelta, T64, ZSTD). */
  codecs: boolean;
  /** LowCardinality(String) without an experimental setting. */
  lowCardinality: boolean;
  /** JSONCompactEachRow input (1.6–2.4× cheaper than JSONEachRow). */
  compactJson: boolean;
  /** Window functions (lagInFrame/leadInFrame): required by the daily rollup. */
  windowFunctions: boolean;
  /** `INSERT … SETTINGS insert_deduplication_token` and `non_replicated_deduplication_window`. */
  dedupToken: boolean;
  /** EPHEMERAL columns (insert hex, store binary through `unhex`). */
  ephemeral: boolean;
  /** `CREATE DATABASE/TABLE … ON CLUSTER` with `{shard}`/`{replica}` macros and Replicated engines. */
  onCluster: boolean;
  /** Compact data parts (`min_rows_for_wide_part` / `min_bytes_for_wide_part`). */
  compactParts: boolean;
  /** `optimize_on_insert` (a Replacing table collapses an insert's duplicates at insert; 0 leaves it to merges). */
  optimizeOnInsert: boolean;
  /** The `merge_selector_base` table setting (wider merges, less merge work per row). */
  mergeSelectorBase: boolean;
}

export interface ServerInfo {
  version: string;
  major: number;
  minor: number;
  features: ServerFeatures;
}

/** `mergeTreeSettings`: names from the server's system.merge_tree_settings that a feature depends on. */
/** The table settings serverInfo asks about: look them up with `SELECT name FROM system.merge_tree_settings WHERE name IN (…)`. */
export const PROBED_MERGE_TREE_SETTINGS = ['merge_selector_base'] as const;

export function serverInfo(version: string, mergeTreeSettings: ReadonlySet<string> = new Set()): ServerInfo {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`cannot parse ClickHouse version ${JSON.stringify(version)}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const atLeast = (a: number, b: number): boolean => major > a || (major === a && minor >= b);
  return {
    version,
    major,
    minor,
    features: {
      queryParams: atLeast(19, 15),
      codecs: atLeast(20, 1),
      lowCardinality: atLeast(19, 9),
      compactJson: atLeast(20, 1),
      windowFunctions: atLeast(21, 9),
      dedupToken: atLeast(22, 3),
      ephemeral: atLeast(22, 8),
      // Tested on 18.16 with ZooKeeper (test/store/cluster18.test.ts), the oldest server we can run.
      onCluster: atLeast(18, 16),
      compactParts: atLeast(20, 3),
      optimizeOnInsert: atLeast(21, 1),
      mergeSelectorBase: mergeTreeSettings.has('merge_selector_base'),
    },
  };
}
