/**
 * The command line: every flag documented, bad values reported with the flag and the value, loopback
 * targets only unless --allow-remote, source-address ranges, and the entry point itself.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { main } from '../../simulator/cli.js';
import { parseRunArgs, parseSourceIps, RUN_HELP, VERIFY_HELP } from '../../simulator/options.js';
import { planRun } from '../../simulator/run.js';
import { localDateOfDay } from '../../simulator/geo.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => void out.push(s), err: (s) => void err.push(s), isTTY: false });
  return { code, out: out.join(''), err: err.join('') };
}

t.test('--help documents every flag', async (t) => {
  const r = await run(['--help']);
  t.equal(r.code, 0);
  const flags = [
    'host', 'port', 'terminals', 'rate', 'interval', 'duration', 'window', 'protocol', 'seed', 'source-ips', 'ramp', 'report-json', 'truth',
    'allow-remote', 'backfill', 'split', 'sticky', 'subpackage', 'duplicates', 'bad-frames', 'reconnect-storm', 'clock-skew', 'odometer-reset',
    'heartbeat', 'timeout', 'drain', 'days', 'start-date', 'center', 'progress',
  ];
  for (const f of flags) t.match(r.out, `--${f}`, `--${f}`);
  t.equal(r.out, RUN_HELP);
  t.equal((await run(['verify', '--help'])).out, VERIFY_HELP);
  for (const f of ['truth', 'api', 'api-key', 'tolerance', 'report-json']) t.match(VERIFY_HELP, `--${f}`);
});

t.test('bad flags: every problem reported with its value, exit 2', async (t) => {
  const r = await run(['--terminals', '0', '--rate', 'fast', '--protocol', '2011', '--split', '1.5', '--port', '70000', '--start-date', '2026-02-30']);
  t.equal(r.code, 2);
  t.match(r.err, /--terminals must be an integer in 1\.\.1000000 \(got "0"\)/);
  t.match(r.err, /--rate must be a number .* \(got "fast"\)/);
  t.match(r.err, /--protocol must be 2013, 2019 or mix \(got "2011"\)/);
  t.match(r.err, /--split must be a number in 0\.\.1 \(got "1\.5"\)/);
  t.match(r.err, /--port must be an integer in 1\.\.65535/);
  t.match(r.err, /--start-date must be a date/);
  t.match((await run(['--no-such-flag'])).err, /Unknown option '--no-such-flag'/);
  t.match((await run(['--rate', '2', '--interval', '1'])).err, /--rate or --interval, not both/);
  t.match((await run(['--fragment-loss', '0.1'])).err, /--fragment-loss needs --subpackage/);
  t.match((await run(['--rate', 'max', '--backfill', '0.1'])).err, /--backfill needs a report rate/);
  t.equal((await run(['frobnicate'])).code, 2, 'unknown command');
});

t.test('only loopback targets unless --allow-remote', async (t) => {
  const remote = await run(['--host', '192.0.2.10', '--duration', '1']);
  t.equal(remote.code, 2);
  t.match(remote.err, /--host 192\.0\.2\.10 is not a loopback address/);
  const p = await parseRunArgs(['--host', '192.0.2.10', '--allow-remote']);
  t.ok(p.ok && 'value' in p && p.value.host === '192.0.2.10', 'accepted with --allow-remote');
  for (const host of ['127.0.0.1', '127.3.2.1', 'localhost', '::1']) {
    const q = await parseRunArgs(['--host', host]);
    t.ok(q.ok && 'value' in q, `${host} is loopback`);
  }
  t.match((await run(['--source-ips', '10.0.0.1-10.0.0.3'])).err, /--source-ips 10\.0\.0\.1 is not a loopback address/);
});

t.test('source address ranges', async (t) => {
  t.same(parseSourceIps('127.0.0.2-127.0.0.4'), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  t.same(parseSourceIps('127.0.0.2-3,127.0.1.9'), ['127.0.0.2', '127.0.0.3', '127.0.1.9']);
  t.equal((parseSourceIps('127.0.0.255-127.0.1.1') as string[]).length, 3, 'across an octet');
  t.match(parseSourceIps('127.0.0.9-127.0.0.2'), /ends before it starts/);
  t.match(parseSourceIps('nope'), /not an IP address/);
});

t.test('rate, interval and the compressed calendar', async (t) => {
  const a = await parseRunArgs(['--interval', '0.5', '--duration', '120', '--terminals', '5']);
  if (!a.ok || !('value' in a)) throw new Error('parse');
  t.equal(a.value.rate, 2, '--interval 0.5 = 2 reports/s');
  const plan = planRun(a.value, Date.UTC(2026, 5, 15, 4));
  t.ok(plan.movingS >= 1 && plan.parkedS === plan.movingS * 30, `sampling ${plan.movingS} s / ${plan.parkedS} s`);
  t.equal(localDateOfDay(plan.startDay), '2026-06-14', 'one simulated day, ending before today');
  const max = await parseRunArgs(['--rate', 'max']);
  if (!max.ok || !('value' in max)) throw new Error('parse');
  t.equal(localDateOfDay(planRun(max.value, Date.UTC(2026, 5, 15, 4)).startDay), '2026-03-17', 'closed loop: 90 days back');
  const b = await parseRunArgs(['--rate', 'max', '--window', '8', '--start-date', '2026-01-05', '--days', '3']);
  if (!b.ok || !('value' in b)) throw new Error('parse');
  const planB = planRun(b.value);
  t.same([planB.movingS, planB.parkedS, localDateOfDay(planB.startDay)], [10, 300, '2026-01-05'], 'closed loop: field sampling, given date');
});

t.test('the entry point runs as a script', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', '--help'], { cwd: new URL('../..', import.meta.url).pathname });
  t.match(stdout, /^Usage: fleetgate-sim \[run\] \[options\]/);
});
