// A real crash: a child process appends and reports durable positions; we SIGKILL it mid-stream,
// reopen the spool, and check that every record it reported durable is there and intact.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Spool } from '../../src/spool/index.js';
import { checkPayload, payload, tempDir } from './fixtures/helpers.js';

const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

function runAndKill(dir: string, segmentBytes: number, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, String(segmentBytes)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lastDurable = 0;
    let buffered = '';
    let killTimer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('D ')) {
          lastDurable = Number(line.slice(2));
          // the clock starts at the first durable report, so a slow machine still gets some
          killTimer ??= setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        }
      }
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}`));
      else resolve(lastDurable);
    });
  });
}

for (const [round, killAfterMs, segmentBytes] of [
  [1, 150, 64 * 1024],
  [2, 400, 16 * 1024],
  [3, 700, 1024 * 1024],
] as const) {
  t.test(`SIGKILL round ${round} after ${killAfterMs} ms, ${segmentBytes >> 10} KiB segments`, async (t) => {
    const dir = tempDir(t);
    const lastDurable = await runAndKill(dir, segmentBytes, killAfterMs);
    t.ok(lastDurable > 0, `child reported durable up to ${lastDurable}`);

    const spool = await Spool.open({ dir, segmentBytes });
    t.ok(spool.headPosition >= lastDurable, `head ${spool.headPosition} >= reported durable`);
    t.comment(`recovered: ${JSON.stringify(spool.recovery)}`);
    const c = spool.consumer('verify');
    let expect = 0; // records must be payload(0), payload(1), ... with no hole
    let end = 0;
    let bad = 0;
    for (;;) {
      const { records } = await c.read(1 << 20);
      if (records.length === 0) break;
      for (const r of records) {
        end += 16 + payload(expect).length;
        if (checkPayload(r.data) !== expect || r.stampMs !== expect || r.position !== end) bad++;
        expect++;
      }
    }
    t.equal(bad, 0, 'every record intact and in order');
    t.equal(end, spool.headPosition, 'read up to the recovered head');
    t.ok(end >= lastDurable, `${expect} records cover everything reported durable`);
    // and the spool accepts appends after the crash
    const p = spool.append(payload(expect), expect);
    t.equal(await spool.flush(), p);
    await spool.close();
  });
}
