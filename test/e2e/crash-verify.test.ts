/**
 * Issue #8 (and #6's "simulator against the real gateway, then verify passes"): a simulated fleet reports to the
 * whole gateway process (embedded ClickHouse, durable answers); the gateway is SIGKILLed at random moments and
 * restarted on the same data dir; the simulator reconnects by itself and hands over what was not answered as
 * blind-area backlogs. Afterwards `fleetgate-sim verify` reads the real API: every answered position stored
 * exactly once, as sent; trips, ignition events and daily mileage agree with the ground truth.
 * Long form: `npx tsx bench/faults.ts crash`.
 */
import t from 'tap';
import { crashScenario } from './fixtures/scenarios.js';

t.test('SIGKILL the gateway 3 times under load: verify finds every answered position once', async (t) => {
  const r = await crashScenario({ load: { terminals: 12, rate: 2, durationS: 18 }, kills: 3, upMs: [800, 2500], log: (s) => t.comment(s) });
  const x = r.extra;
  t.equal(x.kills, 3, 'killed three times with SIGKILL');
  t.equal(r.sim.exitCode, 0, 'the simulator saw every position answered in the end (exit 0)');
  t.ok(r.sim.reconnects >= 12, `the terminals reconnected by themselves (${r.sim.reconnects} reconnects)`);
  t.ok(r.answered > 300, `${r.answered} positions answered`);
  t.equal(r.lost, 0, 'no answered position missing');
  t.equal(r.duplicated, 0, 'none returned twice');
  t.equal(r.mismatched, 0, 'each stored as sent');
  t.equal(r.stored, r.answered, 'stored = answered');
  t.equal(x.unexpectedPositions, 0, 'nothing stored that was not sent');
  t.equal(x.tripCountMismatches, 0, `trips agree (truth ${x.tripsTruth} finished, API ${x.tripsApi} listed)`);
  t.equal(x.ignitionMissing, 0, 'no ignition event missing');
  t.equal(x.ignitionUnexpected, 0, 'no ignition event invented by a restart');
  t.equal(x.mileageMismatches, 0, `daily mileage agrees (truth ${x.truthKm} km, API ${x.apiKm} km)`);
  t.equal(x.apiErrors, 0, 'no API error');
  t.equal(x.verifyOk, true, 'fleetgate-sim verify passes');
});
