/** DDL as rendered per server and deployment (the cluster variant cannot run here: no Keeper, no cluster). */
import t from 'tap';
import type { ClickHouseClient } from '@clickhouse/client';
import { Db } from '../../src/store/db.js';
import { createTableDdl, POSITIONS, SCHEMA_MIGRATIONS, VEHICLE_DAILY } from '../../src/store/schema.js';
import { serverInfo } from '../../src/store/server-info.js';

const db = (version: string, cluster?: string): Db =>
  new Db({ client: {} as ClickHouseClient, info: serverInfo(version), database: 'fg', cluster, embedded: false });

t.test('cluster: Replicated local table on every node plus a Distributed table sharded by terminal', async (t) => {
  const [local, dist] = createTableDdl(db('24.8.4', 'fleet'), POSITIONS);
  t.match(local, /^CREATE TABLE IF NOT EXISTS fg\.positions_local ON CLUSTER fleet \(/);
  t.match(local, /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/fg\/positions_local', '\{replica\}', recv_delay\)/);
  t.notMatch(local, /non_replicated_deduplication_window/, 'Replicated tables dedup retried blocks by default');
  t.equal(dist, 'CREATE TABLE IF NOT EXISTS fg.positions ON CLUSTER fleet AS fg.positions_local ENGINE = Distributed(fleet, fg, positions_local, cityHash64(terminal))');
  const daily = createTableDdl(db('24.8.4', 'fleet'), VEHICLE_DAILY);
  t.equal(daily.length, 2);
  const global = createTableDdl(db('24.8.4', 'fleet'), SCHEMA_MIGRATIONS);
  t.equal(global.length, 1, 'bookkeeping tables are replicated to every node, not sharded');
  t.match(global[0], /ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/global\/fg\/schema_migrations', '\{replica\}', applied_at\)/);
});

t.test('single server, modern: codecs, binary extras, dedup window', async (t) => {
  const [ddl] = createTableDdl(db('23.8.2'), POSITIONS);
  t.match(ddl, /lat Int32 CODEC\(DoubleDelta, ZSTD\(1\)\)/);
  t.match(ddl, /terminal LowCardinality\(String\)/);
  t.match(ddl, /extras_hex String EPHEMERAL ''/);
  t.match(ddl, /extras String DEFAULT unhex\(extras_hex\) CODEC\(ZSTD\(3\)\)/);
  t.match(ddl, /SETTINGS non_replicated_deduplication_window = 1000$/);
});

t.test('18.16: plain types, hex extras, nothing it cannot parse', async (t) => {
  const [ddl] = createTableDdl(db('18.16.1'), POSITIONS);
  t.notMatch(ddl, /CODEC|LowCardinality|EPHEMERAL|SETTINGS|TTL/);
  t.match(ddl, /terminal String/);
  t.match(ddl, /extras String\n/);
  t.throws(() => createTableDdl(db('18.16.1', 'bad-name'), POSITIONS), /cluster must match/);
});
