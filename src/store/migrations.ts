/**
 * Versioned schema migrations, run at start. Each statement is idempotent (IF NOT EXISTS), so a run that
 * died half-way simply runs again; a version is recorded only after all its statements succeeded.
 * A failure throws MigrationError naming the version and statement: start-up must stop there.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import {
  COMPACT_POSITIONS,
  createTableDdl,
  POSITIONS_MERGES,
  IGNITION_EVENTS,
  INGEST_BATCHES,
  POSITIONS,
  ROLLUP_DIRTY,
  ROLLUP_RUNS,
  SCHEMA_MIGRATIONS,
  TERMINALS,
  TRIPS,
  VEHICLE_DAILY,
  VEHICLE_DAILY_REVISIONS,
} from './schema.js';

export interface Migration {
  version: number;
  name: string;
  /** Statements rendered for this server/deployment (codecs, cluster…). */
  statements(db: Db): string[];
}

/** `ALTER … MODIFY SETTING` of the positions table (each shard's local table), or nothing where the server lacks it. */
function positionsSetting(db: Db, supported: boolean, setting: string): string[] {
  return supported ? [`ALTER TABLE ${db.local(POSITIONS.name)}${db.onCluster} MODIFY SETTING ${setting}`] : [];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'positions, ignition events, terminals',
    statements: (db) => [POSITIONS, IGNITION_EVENTS, TERMINALS].flatMap((t) => createTableDdl(db, t)),
  },
  {
    version: 2,
    name: 'sink intent log, rollup dirty marks',
    statements: (db) => [INGEST_BATCHES, ROLLUP_DIRTY].flatMap((t) => createTableDdl(db, t)),
  },
  {
    version: 3,
    name: 'daily rollups, restatement history, trips',
    statements: (db) => [VEHICLE_DAILY, VEHICLE_DAILY_REVISIONS, TRIPS, ROLLUP_RUNS].flatMap((t) => createTableDdl(db, t)),
  },
  {
    version: 4,
    name: 'positions in compact parts',
    // One data file per part instead of one per column: a one-day track (11 columns) reads ≈20 % faster
    // (7.8 → 6.3 ms p50 on chdb), for +0.12–0.17 B/row (bench/api.ts; RESULTS.md "API: what was measured").
    // Applies to parts inserted from now on and their merges; a merge that takes in a wide part stays wide.
    statements: (db) => positionsSetting(db, db.info.features.compactParts, COMPACT_POSITIONS),
  },
  {
    version: 5,
    name: 'positions: wider merges',
    // Servers without the setting keep the default selector: only the merge work per row differs.
    statements: (db) => positionsSetting(db, db.info.features.mergeSelectorBase, POSITIONS_MERGES),
  },
];

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly version: number,
    readonly migration: string,
    readonly statement: number,
    cause: unknown,
  ) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`schema migration ${version} (${migration}) failed at statement ${statement + 1}: ${msg}`, { cause });
  }
}

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

function checksum(statements: readonly string[]): string {
  return createHash('sha256').update(statements.join(';\n')).digest('hex').slice(0, 16);
}

export async function appliedVersions(db: Db): Promise<Map<number, string>> {
  const rows = await db.query<{ version: number; checksum: string }>(
    `SELECT version, argMax(checksum, applied_at) AS checksum FROM ${db.t(SCHEMA_MIGRATIONS.name)} GROUP BY version`,
  );
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

/** Applies the migrations not yet recorded, in version order. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  for (const s of createTableDdl(db, SCHEMA_MIGRATIONS)) await db.command(s);
  const done = await appliedVersions(db);
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (done.has(m.version)) {
      result.alreadyApplied.push(m.version);
      continue;
    }
    const statements = m.statements(db);
    for (const [i, sql] of statements.entries()) {
      try {
        await db.command(sql);
      } catch (err) {
        throw new MigrationError(m.version, m.name, i, err);
      }
    }
    await db.command(
      `INSERT INTO ${db.t(SCHEMA_MIGRATIONS.name)} (version, name, checksum, applied_at) ` +
        `SELECT {v:UInt32}, {n:String}, {c:String}, now()`,
      { v: m.version, n: m.name, c: checksum(statements) },
    );
    result.applied.push(m.version);
  }
  return result;
}
