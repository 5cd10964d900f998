import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../src/store/db.js';
import { Sink, type SinkOptions } from '../../src/store/sink.js';
import { track } from '../../src/store/queries/track.js';
import { ignitionEvents } from '../../src/store/queries/ignition.js';
import { chdbDatabase, closeChdb } from './helpers/chdb.js';
import { FakeSpool, type FakeRecord } from './helpers/fake-source.js';
import { fakeDecode, fakeIgnition, fakePosition, type FakeFleet } from './helpers/fake-decode.js';
import { FlakyDb } from './helpers/flaky-db.js';
import { rowDecode } from '../../src/store/encode-positions.js';

t.teardown(closeChdb);

const N = 6000;
const fleet: FakeFleet = { terminals: 10, base: Math.floor(Date.now() / 1000) - 6 * 3600 };
const fastRetry = { initialMs: 5, maxMs: 40 };

function sink(db: Db, spool: FakeSpool, o: Partial<SinkOptions<FakeRecord, number>> = {}): Sink<FakeRecord, number> {
  return new Sink({ db, source: spool, decode: fakeDecode(fleet), name: 'test', maxRows: 1000, readBytes: 100 * 250, maxDelayMs: 60_000, retry: fastRetry, ...o });
}

/** Runs the sink until it has read the whole spool, stops it (which flushes), and checks all was committed. */
async function drain(s: Sink<FakeRecord, number>, spool: FakeSpool, timeoutMs = 20_000): Promise<void> {
  const loop = s.start();
  const t0 = Date.now();
  const from = spool.committed;
  while (s.stats().records < spool.total - from) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`drain timeout at ${spool.committed}/${spool.total}`);
    await sleep(5);
  }
  await s.stop();
  await loop;
  if (spool.committed !== spool.total) throw new Error(`stopped at ${spool.committed}/${spool.total}`);
}

async function count(db: Db, table: string, final = false): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(`SELECT toUInt32(count()) AS n FROM ${db.t(table)}${final ? ' FINAL' : ''}`);
  return Number(n);
}

const expectedIgnition = (): number => Array.from({ length: N }, (_, i) => fakeIgnition(i, fleet)).filter(Boolean).length;

t.test('rows go in and come back exactly, one insert per table per batch, checkpoint after', async (t) => {
  const db = await chdbDatabase('sink_a');
  const spool = new FakeSpool(N);
  const s = sink(db, spool);
  await drain(s, spool);
  t.equal(await count(db, 'positions'), N);
  t.equal(await count(db, 'ignition_events'), expectedIgnition());
  const st = s.stats();
  t.match(st, { positions: N, ignition: expectedIgnition(), batches: N / 1000, rejected: 0, retries: 0, lagSeconds: 0, state: 'stopped' });
  t.same(spool.commits, [1000, 2000, 3000, 4000, 5000, 6000]);

  const terminal = '13900000003';
  const expected = Array.from({ length: N / fleet.terminals }, (_, k) => fakePosition(k * fleet.terminals + 3, fleet));
  const got = await track(db, terminal, fleet.base, fleet.base + 86_400 * 2);
  t.equal(got.length, expected.length);
  t.same(got.map((p) => ({ terminal, ...p })), expected, 'every field, extras included, round-trips');
  const events = await ignitionEvents(db, terminal, fleet.base, fleet.base + 86_400 * 2);
  t.same(events, expected.filter((_, k) => k > 0 && k % 20 === 0).map((p) => ({ ts: p.ts, on: p.status & 1, latE6: p.latE6, lonE6: p.lonE6 })));
});

t.test('a retried batch whose first attempt landed is stored once (same dedup token)', async (t) => {
  const real = await chdbDatabase('sink_b');
  const db = new FlakyDb(real);
  db.failAfter = 3;
  const spool = new FakeSpool(N);
  const s = sink(db, spool);
  await drain(s, spool);
  t.equal(s.stats().retries, 3);
  const tokens = db.log.filter((l) => l.startsWith('positions:'));
  t.equal(tokens.length, N / 1000 + 3, 'three batches were sent twice');
  t.equal(new Set(tokens).size, N / 1000, '…each time with the same token');
  // A batch body is the concatenation of its reads' bodies (4 reads of 250 rows here): the token still names exactly it.
  const sent = db.sent.filter((x) => x.table === 'positions');
  t.ok(sent.every((x) => x.token.endsWith(`:${x.sha256.slice(0, 32)}`)), 'each token ends with the sha256 of the bytes sent');
  t.ok(sent.every((x) => x.lines === 1000), 'each body holds its batch\'s 1000 rows');
  t.equal(await count(real, 'positions'), N, 'no duplicate rows even before any merge (no FINAL)');
  t.equal(await count(real, 'ignition_events'), expectedIgnition());
});

t.test('a replay batched differently is invisible to readers, and merges away', async (t) => {
  const db = await chdbDatabase('sink_c');
  const spool = new FakeSpool(N);
  await drain(sink(db, spool), spool);
  // The checkpoint is lost (say the spool's checkpoint file was restored from a backup): everything replays,
  // cut differently (other batch size, other read size, another sink name: no logged cut points).
  spool.committed = 0;
  spool.restart();
  const again = sink(db, spool, { name: 'other', maxRows: 777, readBytes: 100 * 333 });
  await drain(again, spool);
  t.ok((await count(db, 'positions')) > N, 'the copies exist physically before a merge');
  t.equal(await count(db, 'positions', true), N, 'FINAL sees each (terminal, ts) once');
  const [{ u }] = await db.query<{ u: number }>('SELECT toUInt32(uniqExact(terminal, ts)) AS u FROM sink_c.positions');
  t.equal(u, N);
  const got = await track(db, '13900000007', fleet.base, fleet.base + 86_400 * 2);
  t.equal(got.length, N / fleet.terminals, 'tracks read through LIMIT 1 BY ts: no duplicates');
  t.equal(await count(db, 'ignition_events', true), expectedIgnition());
  await db.command('OPTIMIZE TABLE sink_c.positions FINAL');
  await db.command('OPTIMIZE TABLE sink_c.ignition_events FINAL');
  t.equal(await count(db, 'positions'), N, 'after the merge: exactly once physically');
  t.equal(await count(db, 'ignition_events'), expectedIgnition());
});

t.test('a crash between insert and checkpoint replays byte-identical batches: stored once, no FINAL needed', async (t) => {
  const real = await chdbDatabase('sink_d');
  const db = new FlakyDb(real);
  const spool = new FakeSpool(N);
  const first = sink(db, spool);
  spool.failCommitsAfter = 2000; // the process dies after inserting [2000, 3000), before checkpointing it
  const loop = first.start();
  while (db.log.filter((l) => l.startsWith('positions:')).length < 3) await sleep(2);
  await first.stop(200);
  await loop;
  t.equal(spool.committed, 2000, 'checkpoint stuck at 2000');
  t.equal(await count(real, 'positions'), 3000, 'rows past the checkpoint had landed');

  spool.failCommitsAfter = Number.POSITIVE_INFINITY;
  spool.restart();
  const second = sink(db, spool);
  await drain(second, spool);
  t.ok(second.stats().replayCuts >= 1, `replay cut at logged positions (${second.stats().replayCuts})`);
  t.equal(await count(real, 'positions'), N, 'exactly N rows without FINAL or merge');
  t.equal(await count(real, 'ignition_events'), expectedIgnition());
});

t.test('ClickHouse down: retries with backoff, reads nothing, checkpoints nothing, shows lag; drains on recovery', async (t) => {
  const real = await chdbDatabase('sink_e');
  const db = new FlakyDb(real);
  const spool = new FakeSpool(2000);
  // Every commit must find its batch stored: the checkpoint never runs ahead of the data.
  const commit = spool.commit.bind(spool);
  const violations: string[] = [];
  spool.commit = async (p: number) => {
    const stored = await count(real, 'positions');
    if (stored < p) violations.push(`commit ${p} with ${stored} rows stored`);
    return commit(p);
  };
  db.failBefore = 2;
  const s = sink(db, spool, { maxDelayMs: 50, idleMs: 5, replayGraceMs: 0 });
  const loop = s.start();
  while (spool.committed < 2000) await sleep(5);
  t.equal(s.stats().retries, 2);

  db.down = true;
  spool.grow(4000);
  await sleep(300);
  const during = s.stats();
  t.equal(during.state, 'retrying');
  t.ok(during.consecutiveFailures >= 3, `failures while down: ${during.consecutiveFailures}`);
  t.match(during.lastError, /ECONNREFUSED/);
  t.ok(during.lagSeconds > 3600, `lag shows the age of the stuck batch: ${during.lagSeconds} s`);
  t.equal(spool.committed, 2000, 'no checkpoint while down');
  // Bounded: one batch in flight plus one pending, then reading stops and the spool holds the backlog.
  t.ok(during.records <= 2000 + 2 * 1000 + 250, `reading stopped at ${during.records} of 6000`);

  db.down = false;
  while (spool.committed < 6000) await sleep(5);
  await s.stop();
  await loop;
  t.same(violations, []);
  t.equal(await count(real, 'positions'), 6000);
  t.equal(s.stats().consecutiveFailures, 0);
});

t.test('stop() while ClickHouse is down gives up after its timeout and leaves the batch in the spool', async (t) => {
  const real = await chdbDatabase('sink_f');
  const db = new FlakyDb(real);
  const spool = new FakeSpool(1500);
  db.down = true;
  const s = sink(db, spool);
  const loop = s.start();
  await sleep(100);
  const t0 = Date.now();
  await s.stop(150);
  await loop;
  t.ok(Date.now() - t0 < 2000, 'stop returned');
  t.equal(spool.committed, 0);
  db.down = false;
  spool.restart();
  await drain(sink(db, spool), spool);
  t.equal(await count(real, 'positions'), 1500);
});

t.test('registration facts from the decoder land in terminals (newest last_seen wins)', async (t) => {
  const db = await chdbDatabase('sink_h');
  const spool = new FakeSpool(10);
  const reg = (lastSeen: number, plate: string) => ({
    terminal: '13900000001', province: 50, city: 100, manufacturer: 'ACME1', model: 'T808', deviceId: 'D0001',
    plateColor: 2, plate, authCode: 'secret', protocolVersion: 2019, firstSeen: fleet.base, lastSeen,
  });
  let call = 0;
  const decode = fakeDecode(fleet);
  const s = sink(db, spool, {
    readBytes: 500,
    decode: async (records, ctx) => ({ ...(await decode(records, ctx)), terminals: [reg(fleet.base + 100 * ++call, `渝A${call}`)] }),
  });
  await drain(s, spool);
  const rows = await db.query<{ plate: string; n: number }>(
    "SELECT argMax(plate, last_seen) AS plate, toUInt32(count()) AS n FROM sink_h.terminals FINAL WHERE terminal = '13900000001'",
  );
  t.same(rows, [{ plate: '渝A2', n: 1 }]);
  t.equal(s.stats().terminals, 2);
});

t.test('time-based flush: a trickle is inserted within maxDelayMs', async (t) => {
  const db = await chdbDatabase('sink_g');
  const spool = new FakeSpool(10);
  const s = sink(db, spool, { maxDelayMs: 100, idleMs: 10, replayGraceMs: 0 });
  const loop = s.start();
  const t0 = Date.now();
  while (spool.committed < 10) await sleep(5);
  t.ok(Date.now() - t0 < 2000, `committed after ${Date.now() - t0} ms`);
  await s.stop();
  await loop;
  t.equal(await count(db, 'positions'), 10);
});

t.test('rows that fail validation where they are encoded are counted, not stored; the rest of the batch lands', async (t) => {
  const db = await chdbDatabase('sink_i');
  const spool = new FakeSpool(1000);
  // Every 100th record decodes to a speed past UInt16.
  const decode = rowDecode(async (records: FakeRecord[]) => ({
    positions: records.map((r) => ({ ...fakePosition(r.seq, fleet), ...(r.seq % 100 === 0 ? { speed: 70_000 } : {}) })),
    ignition: [],
  }));
  const s = sink(db, spool, { decode });
  await drain(s, spool);
  t.match(s.stats(), { positions: 990, rejected: 10 });
  t.equal(await count(db, 'positions'), 990);
});

t.test('a resend inside one batch is kept physically (no collapsing pass at insert) and read once, newest copy', async (t) => {
  const db = await chdbDatabase('sink_resend');
  const spool = new FakeSpool(1000);
  // Every report arrives twice in the same read: the copy 5 s later, with another speed.
  const decode = rowDecode(async (records: FakeRecord[]) => ({
    positions: records.flatMap((r) => {
      const p = fakePosition(r.seq, fleet);
      return [p, { ...p, recvTs: p.recvTs + 5, speed: p.speed + 1 }];
    }),
    ignition: [],
  }));
  await drain(sink(db, spool, { decode }), spool);
  t.equal(db.info.features.optimizeOnInsert, true);
  t.equal(await count(db, 'positions'), 2000, 'optimize_on_insert = 0: both copies stored until a merge');
  t.equal(await count(db, 'positions', true), 1000);
  const got = await track(db, '13900000004', fleet.base, fleet.base + 86_400 * 2);
  const sent = Array.from({ length: 100 }, (_, k) => fakePosition(k * fleet.terminals + 4, fleet));
  t.same(got.map((p) => [p.ts, p.speed, p.recvTs]), sent.map((p) => [p.ts, p.speed + 1, p.recvTs + 5]), 'one point a second, the later copy');
});
