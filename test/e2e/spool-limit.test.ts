/**
 * Issue #8: the sink stalls (ClickHouse killed) while a fleet reports at full speed, until the spool holds
 * FLEETGATE_SPOOL_MAX_BYTES (16 MiB, the minimum): every terminal socket is paused (fleetgate_paused_sockets,
 * one warn line, /ready 503 "over its size limit") and answers stop; ClickHouse comes back, the sink catches
 * up, the sockets resume; every answered position is stored once. The same in process with a tiny limit:
 * backpressure.test.ts. Long form: `npx tsx bench/faults.ts spool-limit`.
 */
import t from 'tap';
import { findServer } from './fixtures/clickhouse.js';
import { spoolLimitScenario } from './fixtures/scenarios.js';

const bin = findServer();

t.test('spool at FLEETGATE_SPOOL_MAX_BYTES: paused, no answers; sink catches up: resumed, nothing lost', { skip: typeof bin === 'string' ? bin : false }, async (t) => {
  if (typeof bin === 'string') return;
  const terminals = 60;
  const r = await spoolLimitScenario(bin, {
    load: { terminals, rate: 'max', window: 4, durationS: 24 }, spoolMaxBytes: 16 * 2 ** 20, holdS: 2, fillTimeoutS: 30, log: (s) => t.comment(s),
  });
  const x = r.extra;
  t.equal(x.pausedSockets, terminals, 'every terminal socket paused (fleetgate_paused_sockets)');
  t.ok(x.pauseLogged, 'a warn line says so');
  t.equal(x.pauseLogReason, 'spool high water', 'with the reason');
  t.equal(x.readyWhilePaused, 503, '/ready 503 while paused');
  t.match(String(x.readyCheck), /size limit/, 'saying the spool is over its size limit');
  t.equal(x.answersWhilePaused, 0, 'no answer while paused');
  t.ok(x.resumeLogged, 'resumed once the sink caught up');
  t.ok(Number(x.answersAfterResume) > 0, `answers again once resumed (${x.answersAfterResume})`);
  t.equal(x.pausedAtEnd, 0, 'no socket left paused');
  t.equal(r.sim.exitCode, 0, 'every position answered in the end (simulator exit 0)');
  t.ok(r.answered > 150_000, `${r.answered} positions answered (16 MiB of spool is ~190,000)`);
  t.equal(r.lost, 0, 'every answered position stored');
  t.equal(r.stored, r.answered, 'stored = answered');
  t.equal(r.mismatched, 0, 'nothing stored that was not sent');
  t.equal(r.duplicated, 0, 'no copy left after the merge');
});
