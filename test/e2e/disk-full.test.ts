/**
 * Issue #8: a real ENOSPC. The spool's directory is a small tmpfs which a ballast file fills while a fleet
 * reports: the spool's write fails, every socket is paused (metric, log line with the error, /ready 503
 * "ENOSPC"), nothing more is answered; the ballast is deleted (space returns), the spool rewrites what it held
 * and the sockets resume; `verify` through the API finds every answered position once. Needs `mount -t tmpfs`
 * (root, or a container that allows it); without it the same is proven in process through the spool's io seam
 * (backpressure.test.ts). Long form: `npx tsx bench/faults.ts disk-full`.
 */
import t from 'tap';
import { canMountTmpfs, diskFullScenario } from './fixtures/scenarios.js';

const mount = canMountTmpfs();

t.test('the spool disk fills up: paused, nothing answered unspooled; space returns: resumed, nothing lost', { skip: mount === true ? false : mount }, async (t) => {
  const terminals = 20;
  const r = await diskFullScenario({
    load: { terminals, rate: 15, durationS: 12 }, tmpfsBytes: 16 * 2 ** 20, headroomBytes: 64 * 1024, holdS: 2, log: (s) => t.comment(s),
  });
  const x = r.extra;
  t.equal(x.errorCode, 'ENOSPC', 'the spool met a real ENOSPC and logged it');
  t.equal(x.pausedSockets, terminals, 'every terminal socket paused (fleetgate_paused_sockets)');
  t.equal(x.readyWhileFull, 503, '/ready 503 while the disk is full');
  t.match(String(x.readyCheck), /ENOSPC/, 'naming the error');
  t.equal(x.answersWhileFull, 0, 'no answer while nothing can be spooled');
  t.ok(Number(x.resumedAfterMs) < 5000, `writes recovered and sockets resumed ${x.resumedAfterMs} ms after space returned`);
  t.equal(x.readyAfter, 200, '/ready 200 again');
  t.equal(x.pausedAtEnd, 0, 'no socket left paused');
  t.equal(r.sim.exitCode, 0, 'every position answered in the end (simulator exit 0)');
  t.ok(r.answered > 2000, `${r.answered} positions answered`);
  t.equal(r.lost, 0, 'no answered position missing');
  t.equal(r.duplicated, 0, 'none returned twice');
  t.equal(r.mismatched, 0, 'each stored as sent');
  t.equal(x.verifyOk, true, 'fleetgate-sim verify passes');
});
