/**
 * CPU per row of building the positions insert body (decode worker path): encodePositions and encodeBytes alone,
 * in the text formats (servers) and RowBinary (the embedded engine).
 * Rows are rebuilt before every run with fresh strings (as the worker gets them from decodeRecords: a new
 * terminal string per record, a new extras string per row), so string hashes and flattening are not pre-paid.
 * Usage: [ONLY=<name part>] node --expose-gc --import tsx bench/encode.ts [rows=200000] [runs=9] [read=10000]
 */
import os from 'node:os';
import { encodeBytes, positionCodec, validPosition } from '../src/store/encode.js';
import { encodePositions } from '../src/store/encode-positions.js';
import { positionRowBinary } from '../src/store/position-row-binary.js';
import type { EncodeContext, PositionRow } from '../src/store/rows.js';
import { intFlag } from './lib/flags.js';

const N = intFlag('rows (1st argument)', process.argv[2] ?? '200000', 1000, 10_000_000);
const RUNS = intFlag('runs (2nd argument)', process.argv[3] ?? '9', 1, 1000);
const READ = intFlag('read (3rd argument)', process.argv[4] ?? '10000', 1, 10_000_000);
const TERMINALS = 1000;
const BASE = 1_790_000_000;
const phones = Array.from({ length: TERMINALS }, (_, i) => `0${13_912_345_678 + i * 7919}`);

let seed = 1;
const rnd = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) >>> 0;
  return seed / 2 ** 32;
};
const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

function makeRows(): PositionRow[] {
  const rows: PositionRow[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const t = i % TERMINALS;
    const k = Math.floor(i / TERMINALS);
    const ts = BASE + k * 30 - (i % 97 === 0 ? 86_400 : 0);
    const x = i % 3;
    rows[i] = {
      terminal: phones[t].slice(1), // fresh string, as canonicalTerminalId returns
      ts,
      recvTs: ts + 1 + (i % 5),
      latE6: Math.round(22_000_000 + rnd() * 18_000_000) * (i % 50 === 0 ? -1 : 1),
      lonE6: Math.round(100_000_000 + rnd() * 20_000_000),
      speed: (rnd() * 1200) | 0,
      direction: (rnd() * 360) | 0,
      altitude: ((rnd() * 2000) | 0) - 50,
      alarm: i % 211 === 0 ? 0x2000 : 0,
      status: 0x000c0003,
      odometer: (rnd() * 5_000_000) | 0,
      fuel: (rnd() * 1000) | 0,
      satellites: 6 + (i % 10),
      signal: 10 + (i % 21),
      backfill: i % 97 === 0 ? 1 : 0,
      extras: x === 0 ? '' : x === 1 ? '0104' + hex8(rnd() * 2 ** 32) : '2504' + hex8(i) + '2a02' + hex8(k).slice(4),
    };
  }
  return rows;
}

const ctx: EncodeContext = { format: 'JSONCompactEachRow', extrasColumn: 'extras_hex', timezone: 'Asia/Shanghai', todayStart: BASE - 3600 };

const usOf = (c: NodeJS.CpuUsage): number => c.user + c.system;
const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[a.length >> 1];

const ONLY = process.env.ONLY;
async function measure(name: string, run: (rows: PositionRow[]) => Promise<unknown> | unknown): Promise<void> {
  if (ONLY && !name.includes(ONLY)) return;
  const res: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const rows = makeRows();
    (globalThis as { gc?: () => void }).gc?.(); // with --expose-gc: makeRows' garbage is not collected on our clock
    const c0 = process.cpuUsage();
    await run(rows);
    const us = usOf(process.cpuUsage(c0)) / N;
    if (i >= 2) res.push(us); // 2 warmup runs dropped
  }
  const s = res.slice().sort((a, b) => a - b);
  console.log(`${name.padEnd(40)} median ${median(res).toFixed(3)} µs/row  (min ${s[0].toFixed(3)}, max ${s[s.length - 1].toFixed(3)})`);
}

console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? '?'} ×${os.cpus().length}; ${N} rows, ${RUNS} runs, read ${READ}`);
const compact = positionCodec('JSONCompactEachRow', 'extras_hex');
const object = positionCodec('JSONEachRow', 'extras');
let sink = 0;
await measure('validPosition', (rows) => {
  for (const r of rows) if (validPosition(r)) sink++;
});
await measure('encodeBytes compact (one call)', async (rows) => {
  sink += (await encodeBytes(rows, compact)).bytes.length;
});
await measure('encodeBytes object (one call)', async (rows) => {
  sink += (await encodeBytes(rows, object)).bytes.length;
});
await measure('encodeBytes RowBinary (one call)', async (rows) => {
  sink += (await encodeBytes(rows, positionRowBinary)).bytes.length;
});
await measure('encodePositions compact (one call)', async (rows) => {
  sink += (await encodePositions(rows, ctx)).body.length;
});
await measure(`encodePositions compact (${READ}-row reads)`, async (rows) => {
  for (let i = 0; i < rows.length; i += READ) sink += (await encodePositions(rows.slice(i, i + READ), ctx)).body.length;
});
await measure(`encodePositions RowBinary (${READ}-row reads)`, async (rows) => {
  for (let i = 0; i < rows.length; i += READ) sink += (await encodePositions(rows.slice(i, i + READ), { ...ctx, format: 'RowBinary' })).body.length;
});
console.log(`(${sink})`);
