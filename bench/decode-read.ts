/**
 * CPU per record of the decode worker's job for the embedded engine: spool records → RowBinary body, columns and
 * late marks (src/decode/decode-read.ts), the object path (decodeRecords + encodePositions) against the one-pass
 * RowBinary path (decode-row-binary.ts), alternated in the same process, round by round.
 * Records: a simulated fleet's 0x0200 reports in spool order (bench/lib/spool-records.ts: 1,000 terminals, 2013 and
 * 2019 phones), cut into reads of `read` records as the sink asks for them; CPU time of the whole process
 * (process.cpuUsage: V8's GC threads included), after a gc() when run with --expose-gc. Two warmup rounds dropped,
 * median of the rest. The new path was built to cost ≤ 60 % of the old.
 * Usage: node --expose-gc --import tsx bench/decode-read.ts [records=100000] [rounds=9] [read=10000]
 */
import os from 'node:os';
import { localDayNumber, localDayStart } from '../simulator/geo.js';
import { fleetRecords } from './lib/spool-records.js';
import { intFlag } from './lib/flags.js';
import { decodeReadRows, type DecodedRead } from '../src/decode/decode-read.js';
import { decodeReadRowBinary } from '../src/decode/decode-row-binary.js';
import type { SpooledRecord } from '../src/decode/decode-records.js';
import type { EncodeContext } from '../src/store/rows.js';

const N = intFlag('records (1st argument)', process.argv[2] ?? '100000', 1000, 10_000_000);
const ROUNDS = intFlag('rounds (2nd argument)', process.argv[3] ?? '9', 1, 1000);
const READ = intFlag('read (3rd argument)', process.argv[4] ?? '10000', 1, 10_000_000);
const WARMUP = 2;
const START_MS = Date.UTC(2026, 10, 20);

type Path = (records: readonly SpooledRecord[], ctx: EncodeContext) => Promise<DecodedRead>;

const records = fleetRecords({ terminals: 1000, records: N, startMs: START_MS });
const reads: SpooledRecord[][] = [];
for (let i = 0; i < N; i += READ) reads.push(records.slice(i, i + READ));
// Today is the fleet's first local day (it starts at local midnight): no row is late, as in a live feed.
const ctx: EncodeContext = { format: 'RowBinary', extrasColumn: 'extras', timezone: 'Asia/Shanghai', todayStart: localDayStart(localDayNumber(START_MS)) / 1000 };

let sink = 0;
async function run(path: Path): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.(); // the previous run's garbage is not collected on this run's clock
  const c0 = process.cpuUsage();
  for (const read of reads) sink += (await path(read, ctx)).positions.rows;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N;
}

// The two paths must agree before their figures mean anything (test/decode/decode-row-binary.test.ts holds it).
const [a, b] = [await decodeReadRows(reads[0], ctx), await decodeReadRowBinary(reads[0], ctx)];
if (!Buffer.from(a.positions.body).equals(Buffer.from(b.positions.body))) throw new Error('the paths disagree on the first read');

const old: number[] = [];
const now: number[] = [];
for (let round = 0; round < ROUNDS + WARMUP; round++) {
  // Alternate which path goes first, so neither always inherits the other's heap.
  const first = round % 2 === 0;
  const o = first ? await run(decodeReadRows) : 0;
  const n = await run(decodeReadRowBinary);
  const o2 = first ? o : await run(decodeReadRows);
  if (round >= WARMUP) {
    old.push(o2);
    now.push(n);
  }
}

const median = (v: number[]): number => v.slice().sort((x, y) => x - y)[v.length >> 1];
const line = (name: string, v: number[]): string => {
  const s = v.slice().sort((x, y) => x - y);
  return `${name.padEnd(34)} median ${median(v).toFixed(3)} µs/record  (min ${s[0].toFixed(3)}, max ${s[s.length - 1].toFixed(3)})`;
};
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? '?'} ×${os.cpus().length}; ${N} records of 1000 terminals, reads of ${READ}, ${ROUNDS} rounds (+${WARMUP} warmup)`);
console.log(line('old: decodeRecords + encodePositions', old));
console.log(line('new: decodeReadRowBinary', now));
console.log(`new / old: ${((median(now) / median(old)) * 100).toFixed(1)} % (target ≤ 60 %)   (${sink})`);
