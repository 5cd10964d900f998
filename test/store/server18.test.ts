/**
 * The remote path against a real clickhouse-server over HTTP (Debian's 18.16 in CI): features detected from
 * the version, DDL degraded to what the server has, values inlined by bind.ts (no query parameters there),
 * rows in and back out. Skipped, with the reason, only when no server binary is installed.
 */
import t from 'tap';
import { openDb } from '../../src/store/connect.js';
import type { Db } from '../../src/store/db.js';
import { migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { Sink } from '../../src/store/sink.js';
import { track } from '../../src/store/queries/track.js';
import { ignitionEvents } from '../../src/store/queries/ignition.js';
import { latestPositions } from '../../src/store/queries/latest.js';
import { Rollup } from '../../src/store/rollup/job.js';
import { findServer, startServer, type RunningServer } from './helpers/clickhouse-server.js';
import { FakeSpool } from './helpers/fake-source.js';
import { fakeDecode, fakeIgnition, fakePosition, type FakeFleet } from './helpers/fake-decode.js';
import { FlakyDb } from './helpers/flaky-db.js';

const bin = findServer();
const skip = typeof bin === 'string' ? bin : false;

t.test('remote ClickHouse server over HTTP', { skip }, async (t) => {
  if (typeof bin === 'string') return;
  const server: RunningServer = await startServer(bin);
  t.teardown(() => server.stop());
  const db: Db = await openDb({ dataDir: '/nonexistent', url: server.url, database: 'fg_remote' });
  t.teardown(() => db.close());
  const f = db.info.features;
  t.comment(`server ${db.info.version}: ${JSON.stringify(f)}`);

  t.test('migrations: idempotent, DDL degraded to the server', async (t) => {
    t.same((await migrate(db)).applied, MIGRATIONS.map((m) => m.version));
    t.same((await migrate(db)).applied, []);
    const [{ ddl }] = await db.query<{ ddl: string }>(
      "SELECT create_table_query AS ddl FROM system.tables WHERE database = 'fg_remote' AND name = 'positions'",
    );
    if (!f.codecs) t.notMatch(ddl, /CODEC/, 'no codecs on this server');
    if (!f.lowCardinality) t.notMatch(ddl, /LowCardinality/);
    if (!f.ephemeral) t.notMatch(ddl, /EPHEMERAL/, 'extras kept as hex');
    if (!f.dedupToken) t.notMatch(ddl, /deduplication_window/);
    // The probe of system.merge_tree_settings answers on old servers too; 18.16 lacks the setting.
    if (!f.mergeSelectorBase) t.notMatch(ddl, /merge_selector_base/, 'default merge selector');
    else t.match(ddl, /merge_selector_base = 10/);
    t.match(ddl, /ReplacingMergeTree\(recv_delay\)/);
  });

  const fleet: FakeFleet = { terminals: 5, base: Math.floor(Date.now() / 1000) - 3 * 3600 };
  const N = 3000;

  t.test('sink inserts; rows read back exactly through inlined parameters', async (t) => {
    const spool = new FakeSpool(N);
    const flaky = new FlakyDb(db);
    flaky.failAfter = 1; // a retry whose first attempt landed
    const sink = new Sink({ db: flaky, source: spool, decode: fakeDecode(fleet), name: 'remote', maxRows: 700, readBytes: 100 * 100, maxDelayMs: 60_000, retry: { initialMs: 5, maxMs: 20 } });
    const loop = sink.start();
    while (sink.stats().records < N) await new Promise((r) => setTimeout(r, 10));
    await sink.stop();
    await loop;
    t.equal(spool.committed, N);
    const [{ raw, final }] = await db.query<{ raw: string; final: string }>(
      'SELECT (SELECT count() FROM fg_remote.positions) AS raw, (SELECT count() FROM fg_remote.positions FINAL) AS final',
    );
    // Numbers may arrive quoted (18.16 quotes 64-bit ints in JSON): coerce.
    t.equal(Number(final), N, 'each (terminal, ts) once through FINAL');
    if (f.dedupToken) t.equal(Number(raw), N, 'the retry was deduplicated by its token');
    else t.ok(Number(raw) >= N, `no dedup tokens on ${db.info.version}: ${Number(raw) - N} copies until merged, invisible to readers`);

    const terminal = '13900000002';
    const expected = Array.from({ length: N / fleet.terminals }, (_, k) => fakePosition(k * fleet.terminals + 2, fleet));
    const got = await track(db, terminal, fleet.base, fleet.base + 86_400);
    t.same(got.map((p) => ({ terminal, ...p })), expected, 'every field round-trips, extras as hex');
    const events = await ignitionEvents(db, terminal, fleet.base, fleet.base + 86_400);
    const want = Array.from({ length: N }, (_, i) => fakeIgnition(i, fleet)).filter((e) => e?.terminal === terminal);
    t.same(events, want.map((e) => ({ ts: e!.ts, on: e!.on, latE6: e!.latE6, lonE6: e!.lonE6 })));
    const latest = await latestPositions(db, { sinceS: fleet.base, terminals: [terminal, '0'] });
    t.match(latest, [{ terminal, ts: expected[expected.length - 1].ts, latE6: expected[expected.length - 1].latE6 }]);
  });

  t.test('a value that tries to break out of its literal stays a value', async (t) => {
    const got = await track(db, "x' OR 1=1 OR terminal != '", 0, 2 ** 32 - 1);
    t.same(got, []);
  });

  t.test('the rollup states why it cannot run here', async (t) => {
    if (f.windowFunctions) return t.pass('window functions available');
    t.throws(() => new Rollup(db), /needs window functions/);
  });
});
