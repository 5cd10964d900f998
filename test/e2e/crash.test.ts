/**
 * SIGKILL the gateway while terminals report; on restart every frame that was answered is in the
 * spool (durable acknowledgement, DESIGN.md). Several kills at random moments.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode0200 } from '../../protocols/jt808/messages/location.js';
import { readRecord } from '../../src/decode/record.js';
import { Spool } from '../../src/spool/index.js';
import { TestTerminal } from '../helpers/terminal.js';

const FIXTURE = new URL('./fixtures/gateway-process.ts', import.meta.url).pathname;
const TERMINALS = 20;
const ROUNDS = 3;

function startGatewayProcess(dir: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('gateway process did not start in 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`gateway process exited early (${code})`)));
  });
}

/** Terminal id → serials of 0x0200 found in the spool. */
async function spooledSerials(dir: string): Promise<Map<string, Set<number>>> {
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  const found = new Map<string, Set<number>>();
  try {
    const c = spool.consumer(`audit-${Date.now()}`);
    for (;;) {
      const { records } = await c.read(1 << 20);
      if (records.length === 0) break;
      for (const r of records) {
        const rec = readRecord(r.data);
        if (!rec || rec.msgId !== 0x0200) continue;
        const id = rec.phoneBcd.replace(/^0+/, '');
        if (!found.has(id)) found.set(id, new Set());
        found.get(id)!.add(rec.serial);
      }
    }
  } finally {
    await spool.close();
  }
  return found;
}

t.test('every answered position survives SIGKILL', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const answered = new Map<string, Set<number>>();
  let serialBase = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { child, port } = await startGatewayProcess(dir);
    const terms = await Promise.all(Array.from({ length: TERMINALS }, (_, i) => TestTerminal.open(port, `1390000${String(i).padStart(4, '0')}`)));
    let stop = false;
    const loops = terms.map(async (term) => {
      const id = term.phone.replace(/^0+/, '');
      if (!answered.has(id)) answered.set(id, new Set());
      for (let k = 0; !stop && k < 10_000; k++) {
        const serial = (serialBase + k) & 0xffff;
        term.write(term.frame(0x0200, encode0200({ status: 3, lat: 29.5, lon: 106.5, speedKmh: 30, direction: 1, time: Date.UTC(2026, 0, 1) + k * 1000 }), serial));
        try {
          const a = await term.waitFor((x) => x.replySerial === serial && x.replyMsgId === 0x0200, 2000);
          if (a.result === 0) answered.get(id)!.add(serial);
        } catch {
          return; // the gateway died: this report was never answered
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(loops);
    for (const term of terms) term.end();
    await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r));
    serialBase += 10_000;
  }
  const spooled = await spooledSerials(dir);
  let total = 0;
  let missing = 0;
  for (const [id, serials] of answered) {
    for (const s of serials) {
      total++;
      if (!spooled.get(id)?.has(s)) missing++;
    }
  }
  t.ok(total > 100, `${total} answered reports over ${ROUNDS} kills`);
  t.equal(missing, 0, 'no answered report is missing from the spool');
});
