import t from 'tap';
import { openDb } from '../../src/store/connect.js';
import { MIGRATIONS, MigrationError, migrate, appliedVersions } from '../../src/store/migrations.js';
import { chdbDataDir, closeChdb } from './helpers/chdb.js';

t.teardown(closeChdb);

t.test('migrations apply once, are recorded, and a rerun changes nothing', async (t) => {
  const db = await openDb({ dataDir: chdbDataDir(), database: 'mig_a' });
  t.teardown(() => db.close());
  const first = await migrate(db);
  t.same(first, { applied: MIGRATIONS.map((m) => m.version), alreadyApplied: [] });
  const second = await migrate(db);
  t.same(second, { applied: [], alreadyApplied: MIGRATIONS.map((m) => m.version) });
  const recorded = await db.query<{ version: number; name: string; n: number }>(
    'SELECT version, any(name) AS name, toUInt32(count()) AS n FROM mig_a.schema_migrations GROUP BY version ORDER BY version',
  );
  t.same(recorded.map((r) => [r.version, r.name, r.n]), MIGRATIONS.map((m) => [m.version, m.name, 1]));
  const tables = await db.query<{ name: string }>("SELECT name FROM system.tables WHERE database = 'mig_a' ORDER BY name");
  t.same(tables.map((r) => r.name), [
    'ignition_events', 'ingest_batches', 'positions', 'rollup_dirty', 'rollup_runs', 'schema_migrations', 'terminals',
    'trips', 'vehicle_daily', 'vehicle_daily_revisions',
  ]);
  // The DDL the server got: codecs, binary extras, dedup window (26.7 has all of them).
  const [{ ddl }] = await db.query<{ ddl: string }>("SELECT create_table_query AS ddl FROM system.tables WHERE database = 'mig_a' AND name = 'positions'");
  t.match(ddl, /CODEC\(DoubleDelta, ZSTD\(1\)\)/);
  t.match(ddl, /`extras_hex` String EPHEMERAL/);
  t.match(ddl, /non_replicated_deduplication_window = 1000/);
  t.match(ddl, /`recv_ts` DateTime\('UTC'\) ALIAS ts \+ recv_delay/);
  // Migrations 4 and 5: the engine was probed for merge_selector_base and has it.
  t.equal(db.info.features.mergeSelectorBase, true);
  t.match(ddl, /min_rows_for_wide_part = 1000000000000000/);
  t.match(ddl, /merge_selector_base = 10/);
});

t.test('a failing migration stops with its version and statement, and is not recorded', async (t) => {
  const db = await openDb({ dataDir: chdbDataDir(), database: 'mig_b' });
  t.teardown(() => db.close());
  const broken = [
    ...MIGRATIONS,
    { version: 90, name: 'broken', statements: () => ['CREATE TABLE IF NOT EXISTS mig_b.ok90 (x UInt8) ENGINE = MergeTree ORDER BY x', 'CREATE TABLE mig_b.bad (x NoSuchType) ENGINE = Memory'] },
    { version: 91, name: 'after', statements: () => ['CREATE TABLE IF NOT EXISTS mig_b.after91 (x UInt8) ENGINE = MergeTree ORDER BY x'] },
  ];
  const err = await migrate(db, broken).then(() => undefined, (e: unknown) => e);
  t.type(err, MigrationError);
  const me = err as MigrationError;
  t.equal(me.version, 90);
  t.equal(me.statement, 1);
  t.match(me.message, /schema migration 90 \(broken\) failed at statement 2: .*NoSuchType/);
  const done = await appliedVersions(db);
  t.notOk(done.has(90), '90 not recorded');
  t.notOk(done.has(91), 'later migrations not run');
  t.ok(MIGRATIONS.every((m) => done.has(m.version)), 'earlier ones recorded');
  // Fixed and rerun: the statement that had succeeded is idempotent, the version is recorded.
  broken[MIGRATIONS.length] = { version: 90, name: 'fixed', statements: () => ['CREATE TABLE IF NOT EXISTS mig_b.ok90 (x UInt8) ENGINE = MergeTree ORDER BY x'] };
  t.same((await migrate(db, broken)).applied, [90, 91]);
});

t.test('per-query settings do not leak into the embedded session', async (t) => {
  const db = await openDb({ dataDir: chdbDataDir(), database: 'mig_a' });
  t.teardown(() => db.close());
  await db.insert('ingest_batches', ['sink', 'to_key', 'positions', 'ignition'], 'JSONEachRow', ['{"sink":"s","to_key":"1","positions":1,"ignition":0}\n'], {
    insert_deduplication_token: 'leak-check',
  });
  const [{ tok }] = await db.query<{ tok: string }>("SELECT toString(getSetting('insert_deduplication_token')) AS tok");
  t.equal(tok, '', 'token was scoped to its INSERT');
  // A token-less insert of other data right after is stored (a leaked token would drop it).
  await db.insert('ingest_batches', ['sink', 'to_key', 'positions', 'ignition'], 'JSONEachRow', ['{"sink":"s","to_key":"2","positions":1,"ignition":0}\n']);
  const [{ n }] = await db.query<{ n: number }>("SELECT toUInt32(count()) AS n FROM mig_a.ingest_batches WHERE sink = 's'");
  t.equal(n, 2);
});

t.test('bad options fail before connecting', async (t) => {
  await t.rejects(openDb({ dataDir: chdbDataDir(), database: 'x-y' }), /database must match/);
  await t.rejects(openDb({ dataDir: chdbDataDir(), cluster: 'c1' }), /needs FLEETGATE_CLICKHOUSE_URL/);
});
