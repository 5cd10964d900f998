// The gateway process collects its heap once at start-up and once after a storm of connections has calmed down
// (src/heap-trim.ts, README "Memory per connection"); FLEETGATE_HEAP_TRIM_CHURN=0 turns both off.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GatewayProcess, sleep, waitFor } from './fixtures/procs.js';

async function gateway(t: { teardown(fn: () => Promise<void>): void }, env: Record<string, string>): Promise<GatewayProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-e2e-trim-'));
  const gw = await GatewayProcess.start({ dataDir: join(dir, 'data'), jt808Port: await freePort(), httpPort: await freePort(), env });
  t.teardown(async () => {
    await gw.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return gw;
}

t.test('start-up trim, then one after a burst of connections has calmed', async (t) => {
  const gw = await gateway(t, { FLEETGATE_HEAP_TRIM_CHURN: '40' });
  const startUp = gw.logged('heap trimmed');
  t.equal(startUp.length, 1, 'one trim at start-up');
  t.match(startUp[0], { why: 'start-up', pauseMs: Number, heapMiB: [Number, Number] });
  t.equal((await gw.metrics()).get('fleetgate_heap_trim_seconds_count'), 1, 'counted in fleetgate_heap_trim_seconds');

  // 20 connections opened and closed: a burst of 40, then calm (no frames at all).
  const sockets: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const s = connect(gw.cfg.jt808Port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
  }
  await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
  await sleep(200);
  for (const s of sockets) s.destroy();
  const storm = await waitFor('the storm trim', async () => gw.logged('heap trimmed').find((l) => l.why !== 'start-up'), 25_000, 250);
  t.match(storm, { why: 'a burst of 40 connections opened or closed' }, 'trimmed after the calm');
  t.equal((await gw.metrics()).get('fleetgate_heap_trim_seconds_count'), 2);
});

t.test('FLEETGATE_HEAP_TRIM_CHURN=0: never', async (t) => {
  const gw = await gateway(t, { FLEETGATE_HEAP_TRIM_CHURN: '0' });
  t.equal(gw.logged('heap trimmed').length, 0, 'no trim at start-up');
  t.equal((await gw.metrics()).get('fleetgate_heap_trim_seconds_count'), 0);
});
