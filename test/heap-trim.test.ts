// The heap trim after connection storms (src/heap-trim.ts): when it collects, when it must not, and that the
// collection it asks for really frees old-space garbage in this runtime.
import t from 'tap';
import { collectGarbage, HeapTrim, type HeapTrimOptions } from '../src/heap-trim.js';

interface Rig {
  trim: HeapTrim;
  clock: { now: number };
  churn: { total: number };
  /** Frames received so far and connections open: how busy the calm is. */
  traffic: { frames: number; connections: number };
  collected: number[];
  logs: Array<{ level: string; msg: string; obj: object }>;
  /** Advances the clock by `ms` and ticks, as the 1-s timer would. */
  at(ms: number): Promise<void>;
}

function rig(o: Partial<HeapTrimOptions> = {}): Rig {
  const clock = { now: 1_000_000 };
  const churn = { total: 0 };
  const traffic = { frames: 0, connections: 1000 };
  const collected: number[] = [];
  const logs: Rig['logs'] = [];
  const trim = new HeapTrim({
    minChurn: 100,
    churn: () => churn.total,
    frames: () => traffic.frames,
    connections: () => traffic.connections,
    collect: async () => {
      collected.push(clock.now);
    },
    log: { info: (obj, msg) => logs.push({ level: 'info', msg, obj }), warn: (obj, msg) => logs.push({ level: 'warn', msg, obj }) },
    calmMs: 10_000,
    minIntervalMs: 60_000,
    now: () => clock.now,
    ...o,
  });
  return {
    trim, clock, churn, traffic, collected, logs,
    async at(ms) {
      clock.now += ms;
      await trim.tick();
    },
  };
}

t.test('a storm is trimmed once, after the calm, and not while it goes on', async (t) => {
  const r = rig();
  for (let i = 0; i < 20; i++) {
    r.churn.total += 10; // 200 connections over 20 s
    await r.at(1000);
  }
  t.same(r.collected, [], 'nothing while connections keep coming');
  await r.at(9000);
  t.same(r.collected, [], '9 s of calm is not enough');
  await r.at(1000);
  t.equal(r.collected.length, 1, 'trimmed after 10 s of calm');
  await r.at(1000);
  await r.at(30_000);
  t.equal(r.collected.length, 1, 'once per storm');
  t.match(r.logs[0], { level: 'info', msg: 'heap trimmed', obj: { why: 'a burst of 200 connections opened or closed', pauseMs: Number, heapMiB: [Number, Number], rssMiB: [Number, Number] } });
});

t.test('small bursts, a major collection of V8 in the calm, and the minimum interval each prevent a trim', async (t) => {
  const small = rig();
  small.churn.total = 99;
  await small.at(1000);
  await small.at(11_000);
  t.same(small.collected, [], '99 connections are not a storm');

  const v8Did = rig();
  v8Did.churn.total = 500;
  await v8Did.at(1000);
  v8Did.clock.now += 5000;
  v8Did.trim.majorGcSeen();
  await v8Did.at(6000);
  t.same(v8Did.collected, [], 'V8 ran a major collection after the storm: its garbage is gone already');
  v8Did.churn.total += 500;
  await v8Did.at(1000);
  await v8Did.at(11_000);
  t.equal(v8Did.collected.length, 1, 'the next storm, with no collection of V8 after it, is trimmed');

  const twice = rig();
  twice.churn.total = 500;
  await twice.at(1000);
  await twice.at(11_000);
  twice.churn.total += 500;
  await twice.at(1000);
  await twice.at(11_000);
  t.equal(twice.collected.length, 1, 'a second storm 12 s later waits for the minimum interval');
  await twice.at(50_000);
  t.equal(twice.collected.length, 2, '… and is trimmed once 60 s have passed since the first');

  const afterStart = rig();
  await afterStart.trim.trim('start-up');
  afterStart.churn.total = 500;
  await afterStart.at(1000);
  await afterStart.at(11_000);
  t.equal(afterStart.collected.length, 2, 'the start-up trim does not hold back a storm that follows at once');

  const off = rig({ minChurn: 0 });
  off.trim.start();
  t.same(off.collected, [], 'minChurn 0: start() arms nothing');
  off.trim.stop();
});

t.test('a busy calm puts the trim off until a quiet one', async (t) => {
  const r = rig();
  r.churn.total = 1000;
  await r.at(1000);
  // 1,000 connections sending 2 frames/s each: twice the default limit of 1 per connection.
  for (let i = 0; i < 25; i++) {
    r.traffic.frames += 2000;
    await r.at(1000);
  }
  t.same(r.collected, [], 'no trim while the terminals send 2 frames/s each');
  // Calms are watched 10 s at a time; the one after the busy seconds ends is quiet throughout.
  for (let i = 0; i < 20; i++) {
    r.traffic.frames += 900;
    await r.at(1000);
  }
  t.equal(r.collected.length, 1, 'trimmed within a calm of 0.9 frames/s per connection');
  t.match(r.logs[0], { obj: { why: 'a burst of 1000 connections opened or closed' } });
});

t.test('a runtime without the collection turns the trim off with one warning, never a throw', async (t) => {
  let calls = 0;
  const r = rig({
    collect: async () => {
      calls++;
      throw new Error('inspector not available');
    },
  });
  r.churn.total = 500;
  await r.at(1000);
  await r.at(11_000);
  await r.trim.trim('start-up');
  r.churn.total += 500;
  await r.at(1000);
  await r.at(70_000);
  t.equal(calls, 1, 'asked once, then off');
  t.same(r.logs.map((l) => `${l.level} ${l.msg}`), ['warn heap trim unavailable (no full collection from this runtime); turned off']);
});

t.test('collectGarbage collects unreachable objects, young and promoted, in this runtime', async (t) => {
  // One graph is dropped at once; the other first lives through a few scavenges (promoted to old space, where only
  // a major collection frees it), then is dropped.
  let young: object[] | null = Array.from({ length: 1000 }, (_, i) => ({ i }));
  let old: object[] | null = Array.from({ length: 100_000 }, (_, i) => ({ i, s: `old-${i}` }));
  const youngRef = new WeakRef(young);
  const oldRef = new WeakRef(old);
  for (let round = 0; round < 20; round++) {
    Array.from({ length: 50_000 }, (_, i) => ({ i })); // churn for the scavenger
    await new Promise((r) => setImmediate(r));
  }
  young = null;
  old = null;
  await collectGarbage();
  t.equal(youngRef.deref(), undefined, 'the young graph is gone');
  t.equal(oldRef.deref(), undefined, 'the promoted graph is gone');
});
