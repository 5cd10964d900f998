import t from 'tap';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeBytes, positionCodec } from '../../src/store/encode.js';
import { positionRowBinary } from '../../src/store/position-row-binary.js';
import type { PositionRow } from '../../src/store/rows.js';
import { chdbDatabase, chdbDataDir, closeChdb } from './helpers/chdb.js';
import { fakePosition } from './helpers/fake-decode.js';

t.teardown(closeChdb);

const fleet = { terminals: 7, base: 1_773_000_000 };

/** Rows at the edges of every column: negative and extreme ints, empty and long extras (a 2-byte length). */
function edgeRows(): PositionRow[] {
  const rows: PositionRow[] = [];
  for (let i = 0; i < 300; i++) {
    // Distinct (terminal, ts) per row: the table's key would merge two rows that share it.
    const f = fakePosition(i, fleet);
    const r = { ...f, ts: f.ts + i, recvTs: f.recvTs + i };
    switch (i % 6) {
      case 1:
        rows.push({ ...r, latE6: -90_000_000, lonE6: -180_000_000, altitude: -2_147_483_648, recvTs: r.ts - 5 });
        break;
      case 2:
        rows.push({ ...r, alarm: 0xffffffff, status: 0xffffffff, odometer: 0xffffffff, speed: 0xffff, direction: 0xffff, fuel: 0xffff, satellites: 255, signal: 255, backfill: 1 });
        break;
      case 3:
        rows.push({ ...r, terminal: 'A'.repeat(32), extras: 'ab'.repeat(200) });
        break;
      case 4:
        rows.push({ ...r, terminal: 'x-y_Z', extras: '', ts: 946_684_800 + i, recvTs: 946_684_801 + i });
        break;
      default:
        rows.push(r);
    }
  }
  return rows;
}

t.test('insert files: a previous run\'s leftovers go at start, none stays after an insert, a removed folder comes back', async (t) => {
  const dir = path.join(chdbDataDir(), 'insert-files');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '7.rowbinary'), 'torn body of a crashed run');
  const db = await chdbDatabase('rowbin_files');
  t.same(readdirSync(dir), [], 'leftover removed when the engine opens');
  const { bytes } = await encodeBytes(edgeRows(), positionRowBinary);
  await db.insert('positions', positionRowBinary.columns, 'RowBinary', [Buffer.from(bytes)]);
  t.same(readdirSync(dir), [], 'the batch file is removed after its insert');
  rmSync(dir, { recursive: true });
  const later = await encodeBytes(edgeRows().map((r) => ({ ...r, ts: r.ts + 1_000_000, recvTs: r.recvTs + 1_000_000 })), positionRowBinary);
  await db.insert('positions', positionRowBinary.columns, 'RowBinary', [Buffer.from(later.bytes)]);
  t.ok(existsSync(dir), 'the folder is made again');
  const [{ n }] = await db.query<{ n: string }>(`SELECT count() AS n FROM ${db.t('positions')} FINAL`);
  t.equal(Number(n), 600, 'both inserts landed');
});

t.test('RowBinary positions are the bytes ClickHouse itself writes for the same rows', async (t) => {
  const db = await chdbDatabase('rowbin');
  const rows = edgeRows();
  // Stored through the text path (JSON lines, extras unhexed by the engine)…
  const text = positionCodec('JSONCompactEachRow', 'extras_hex');
  await db.insert('positions', text.columns, 'JSONCompactEachRow', [rows.map((r) => text.line(r)).join('')]);
  // …and read back in RowBinary, in insertion order of the columns we write.
  const cols = positionRowBinary.columns.map((c) => (c === 'terminal' ? 'toString(terminal)' : c === 'ts' ? 'toUInt32(ts)' : c));
  const want = await db.queryBytes(`SELECT ${cols.join(', ')} FROM ${db.t('positions')} ORDER BY terminal, ts`, undefined, 'RowBinary');
  const sorted = [...rows].sort((a, b) => (a.terminal < b.terminal ? -1 : a.terminal > b.terminal ? 1 : a.ts - b.ts));
  const { bytes, valid } = await encodeBytes(sorted, positionRowBinary);
  t.equal(valid.length, rows.length, 'every edge row is valid');
  t.equal(Buffer.compare(Buffer.from(bytes), want), 0, `${bytes.length} bytes equal the engine's ${want.length}`);
});

t.test('RowBinary positions go in through a file and read back field for field; invalid rows never reach it', async (t) => {
  const db = await chdbDatabase('rowbin_file');
  const rows = edgeRows().map((r) => ({ ...r, terminal: `F${r.terminal}`.slice(0, 32) }));
  const bad = { ...rows[0], terminal: 'bad"id', ts: rows[0].ts + 1 };
  const { bytes, valid } = await encodeBytes([bad, ...rows], positionRowBinary);
  t.equal(valid.length, rows.length, 'the invalid row is left out');
  await db.insert('positions', positionRowBinary.columns, 'RowBinary', [Buffer.from(bytes.buffer, 0, 1000), Buffer.from(bytes.buffer, 1000)]);
  const got = await db.query<Record<string, number | string>>(
    `SELECT terminal, toUInt32(ts) AS ts, recv_delay, lat, lon, speed, direction, altitude, alarm, status, odometer, fuel,
            satellites, signal, backfill, lower(hex(extras)) AS extras FROM ${db.t('positions')} ORDER BY terminal, ts`,
  );
  const sorted = [...rows].sort((a, b) => (a.terminal < b.terminal ? -1 : a.terminal > b.terminal ? 1 : a.ts - b.ts));
  t.equal(got.length, sorted.length);
  const asRow = (r: PositionRow): Record<string, number | string> => ({
    terminal: r.terminal, ts: r.ts, recv_delay: r.recvTs - r.ts, lat: r.latE6, lon: r.lonE6, speed: r.speed, direction: r.direction,
    altitude: r.altitude, alarm: r.alarm, status: r.status, odometer: r.odometer, fuel: r.fuel, satellites: r.satellites,
    signal: r.signal, backfill: r.backfill, extras: r.extras.toLowerCase(),
  });
  const norm = (o: Record<string, number | string>): Record<string, number | string> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'terminal' || k === 'extras' ? String(v) : Number(v)]));
  t.same(got.map(norm), sorted.map(asRow));
});

t.test('a truncated RowBinary body fails the insert whole: nothing lands', async (t) => {
  const db = await chdbDatabase('rowbin_trunc');
  const { bytes } = await encodeBytes(edgeRows(), positionRowBinary);
  await t.rejects(db.insert('positions', positionRowBinary.columns, 'RowBinary', [Buffer.from(bytes.buffer, 0, bytes.length - 3)]), /eof|EOF|Cannot read/);
  const [{ n }] = await db.query<{ n: string }>(`SELECT count() AS n FROM ${db.t('positions')}`);
  t.equal(Number(n), 0);
});
