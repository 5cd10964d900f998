/**
 * Engine CPU per position row by insert path, on the embedded engine: why positions go in as RowBinary through a
 * file (src/store/connect.ts) rather than through chdb's raw insert of text.
 *   npx tsx bench/insert-paths.ts [--rows 100000] [--rounds 6]
 * The same rows (1,000 terminals, 16 columns, varied extras) are inserted into the real positions table by each
 * path in turn, round after round (so background merges fall on every path alike). CPU is the whole process
 * (/proc/self/stat: every engine thread), per row inserted; medians over rounds. `insert … select` generates
 * the rows inside the engine: the floor with no input format at all. Prints one JSON object.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../src/store/connect.js';
import type { Db } from '../src/store/db.js';
import { encodeBytes, positionCodec } from '../src/store/encode.js';
import { migrate } from '../src/store/migrations.js';
import { positionRowBinary } from '../src/store/position-row-binary.js';
import type { PositionRow } from '../src/store/rows.js';
import { intFlag } from './lib/flags.js';
import { machine } from './lib/machine.js';
import { fixed, median } from './lib/stats.js';

const { values: a } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '6' } } });
const N = intFlag('rows', a.rows, 1000, 5_000_000);
const ROUNDS = intFlag('rounds', a.rounds, 1, 100);

/** utime + stime of every thread of this process, ms (10 ms ticks). */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const rows: PositionRow[] = [];
for (let i = 0; i < N; i++) {
  const ts = 1_790_000_000 + Math.floor(i / 1000) * 30;
  rows.push({
    terminal: String(13_900_000_000 + (i % 1000)), ts, recvTs: ts + 1 + (i % 3), latE6: 29_500_000 + ((i * 7) % 50_000),
    lonE6: 106_500_000 + ((i * 3) % 70_000), speed: i % 1200, direction: i % 360, altitude: 250 + (i % 9), alarm: 0,
    status: 0x000c0003, odometer: 500_000 + i, fuel: 600 - (i % 50), satellites: 9, signal: 20, backfill: 0,
    extras: i % 3 === 0 ? '' : `2504${(i & 0xffff).toString(16).padStart(8, '0')}`,
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-insert-paths-'));
const db: Db = await openDb({ dataDir: dir });
await migrate(db);
const json = positionCodec('JSONCompactEachRow', 'extras_hex');
const jsonBody = Buffer.from((await encodeBytes(rows, json)).bytes);
const tsvBody = Buffer.from(rows.map((r) => json.line(r).slice(1, -2).replace(/"/g, '').replace(/,/g, '\t') + '\n').join(''));
const rbBody = Buffer.from((await encodeBytes(rows, positionRowBinary)).bytes);
const jsonFile = path.join(dir, 'body.json');
writeFileSync(jsonFile, jsonBody);
const off = { insert_deduplicate: 0 };
const t = db.t('positions');

const paths: Record<string, () => Promise<unknown>> = {
  'chdb raw insert, JSONCompactEachRow': () => db.insert('positions', json.columns, 'JSONCompactEachRow', [jsonBody], off),
  'chdb raw insert, TSV (via the raw call)': () => (db.parts.rawInsert ?? (() => Promise.reject(new Error('no raw insert'))))(t, json.columns, 'TSV' as never, [tsvBody], off),
  'insert … select from file, JSONCompactEachRow': () =>
    db.command(`INSERT INTO ${t} (${json.columns.join(', ')}) SETTINGS insert_deduplicate = 0 SELECT * FROM file('${jsonFile}', JSONCompactEachRow)`),
  'insert … select from file, RowBinary': () => db.insert('positions', positionRowBinary.columns, 'RowBinary', [rbBody], off),
  'insert … select from file, RowBinary, optimize_on_insert = 0 (fleetgate)': () =>
    db.insert('positions', positionRowBinary.columns, 'RowBinary', [rbBody], { ...off, optimize_on_insert: 0 }),
  'insert … select from numbers (no input format)': () =>
    db.command(
      `INSERT INTO ${t} (terminal, ts, recv_delay, lat, lon, speed, direction, altitude, alarm, status, odometer, fuel, satellites, signal, backfill, extras)
       SETTINGS insert_deduplicate = 0
       SELECT toString(13900000000 + number % 1000), toDateTime(1790000000 + intDiv(number, 1000) * 30), 1, 29500000 + number * 7 % 50000,
              106500000 + number * 3 % 70000, number % 1200, number % 360, 250, 0, 786435, 500000 + number, 600, 9, 20, 0, unhex('250400000001')
       FROM numbers(${N})`,
    ),
};

const us: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(paths)) {
    const c0 = cpuMs();
    await run();
    (us[name] ??= []).push(((cpuMs() - c0) * 1000) / N);
  }
}
await db.close();
rmSync(dir, { recursive: true, force: true });
const result = Object.fromEntries(Object.entries(us).map(([k, v]) => [k, { usPerRow: Number(fixed(median(v), 2)), rounds: v.map((x) => Number(fixed(x, 2))) }]));
console.log(JSON.stringify({ bench: 'insert-paths', machine: machine(), rows: N, rounds: ROUNDS, bytesPerRow: { json: fixed(jsonBody.length / N, 1), rowBinary: fixed(rbBody.length / N, 1) }, result }, null, 1));
process.exit(0);
