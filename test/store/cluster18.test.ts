/**
 * Cluster mode against real servers: ZooKeeper plus two clickhouse-server nodes (Debian's 18.16), one shard
 * each. Migrations run `ON CLUSTER`; every node gets the Replicated `<t>_local` tables and the Distributed
 * `<t>`; rows inserted through one node land on the shard of their terminal and read back whole from the other.
 * Skipped, with the reason, only when clickhouse-server or ZooKeeper is not installed (.ci/run installs both).
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDb } from '../../src/store/connect.js';
import type { Db } from '../../src/store/db.js';
import { migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { track } from '../../src/store/queries/track.js';
import { ignitionEvents } from '../../src/store/queries/ignition.js';
import { Sink } from '../../src/store/sink.js';
import { findZooKeeper, startCluster } from './helpers/clickhouse-cluster.js';
import { findServer } from './helpers/clickhouse-server.js';
import { fakeDecode, fakeIgnition, fakePosition, type FakeFleet } from './helpers/fake-decode.js';
import { FakeSpool } from './helpers/fake-source.js';
import { FlakyDb } from './helpers/flaky-db.js';

const bin = findServer();
const zk = findZooKeeper();
const skip = typeof bin === 'string' ? bin : typeof zk === 'string' ? zk : false;
const DATABASE = 'fg_cluster';

/** One value per node, read over each node's own HTTP port (local tables are per node). */
async function perNode(urls: string[], sql: string): Promise<string[]> {
  return Promise.all(
    urls.map(async (url) => {
      const res = await fetch(url, { method: 'POST', body: `${sql} FORMAT TSV`, signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${url}: ${text}`);
      return text.trim();
    }),
  );
}

t.test('cluster: ON CLUSTER migrations, Replicated + Distributed tables, rows sharded by terminal', { skip, timeout: 150_000 }, async (t) => {
  if (typeof bin === 'string' || typeof zk === 'string') return;
  const cluster = await startCluster(bin, zk, 2);
  t.teardown(() => cluster.stop());
  const db: Db = await openDb({ dataDir: '/nonexistent', url: cluster.urls[0], database: DATABASE, cluster: cluster.name });
  t.teardown(() => db.close());
  t.comment(`cluster ${cluster.name}: ${cluster.urls.join(', ')}, ClickHouse ${db.info.version}`);

  t.test('migrations run once for the whole cluster', async (t) => {
    t.same((await migrate(db)).applied, MIGRATIONS.map((m) => m.version));
    const other = await openDb({ dataDir: '/nonexistent', url: cluster.urls[1], database: DATABASE, cluster: cluster.name });
    try {
      t.same((await migrate(other)).applied, [], 'the second node sees the recorded migrations (replicated bookkeeping)');
    } finally {
      await other.close();
    }
    const engines = await perNode(
      cluster.urls,
      `SELECT engine FROM system.tables WHERE database = '${DATABASE}' AND name IN ('positions', 'positions_local') ORDER BY name`,
    );
    for (const e of engines) t.same(e.split('\n'), ['Distributed', 'ReplicatedReplacingMergeTree'], 'every node has both tables');
  });

  const fleet: FakeFleet = { terminals: 8, base: Math.floor(Date.now() / 1000) - 3 * 3600 };
  const N = 4000;

  t.test('the sink inserts through one node; each terminal lives on one shard; all rows read back from the other', async (t) => {
    const spool = new FakeSpool(N);
    const flaky = new FlakyDb(db);
    flaky.failAfter = 1; // a retry whose first attempt landed
    const sink = new Sink({ db: flaky, source: spool, decode: fakeDecode(fleet), name: 'cluster', maxRows: 700, readBytes: 100 * 100, maxDelayMs: 60_000, retry: { initialMs: 5, maxMs: 20 } });
    const loop = sink.start();
    while (sink.stats().records < N) await sleep(10);
    await sink.stop();
    await loop;
    t.equal(spool.committed, N);

    // Inserts on a cluster are synchronous (insert_distributed_sync): committed rows are on their shards already.
    const [seen] = await perNode([cluster.urls[1]], `SELECT uniqExact(terminal, ts) FROM ${DATABASE}.positions`);
    t.equal(Number(seen), N, 'every committed position readable through the second node at once');

    const shares = await perNode(cluster.urls, `SELECT groupUniqArray(terminal) FROM ${DATABASE}.positions_local`);
    const sets = shares.map((s) => new Set<string>(JSON.parse(s.replace(/'/g, '"')) as string[]));
    t.ok(sets[0].size > 0 && sets[1].size > 0, `both shards hold terminals (${sets[0].size} + ${sets[1].size})`);
    t.equal(sets[0].size + sets[1].size, fleet.terminals, 'no terminal on two shards');

    const terminal = '13900000003';
    const expected = Array.from({ length: N / fleet.terminals }, (_, k) => fakePosition(k * fleet.terminals + 3, fleet));
    const reader = await openDb({ dataDir: '/nonexistent', url: cluster.urls[1], database: DATABASE, cluster: cluster.name });
    t.teardown(() => reader.close());
    const got = await track(reader, terminal, fleet.base, fleet.base + 86_400);
    t.same(got.map((p) => ({ terminal, ...p })), expected, 'a track read through the other node, every field');
    const events = await ignitionEvents(reader, terminal, fleet.base, fleet.base + 86_400);
    const want = Array.from({ length: N }, (_, i) => fakeIgnition(i, fleet)).filter((e) => e?.terminal === terminal);
    t.same(events, want.map((e) => ({ ts: e!.ts, on: e!.on, latE6: e!.latE6, lonE6: e!.lonE6 })), 'its ignition events');
  });
});
