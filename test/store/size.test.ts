/**
 * Bytes per stored position on a realistic synthetic fleet day (bench/store-synth.ts: trips with stops,
 * parked reports every 300 s, resends, blind-area backfill, GPS jumps, odometer resets), measured from
 * system.parts after the merge. bench/store.ts runs the same on bigger fleets and variants.
 */
import t from 'tap';
import { encodeRows, positionCodec } from '../../src/store/encode.js';
import type { PositionRow } from '../../src/store/rows.js';
import { synthFleetDay } from '../../bench/store-synth.js';
import { chdbDatabase, closeChdb } from './helpers/chdb.js';

t.teardown(closeChdb);

t.test('a realistic fleet day is stored in ≤ 3 bytes per position', async (t) => {
  const db = await chdbDatabase('size_a');
  const codec = positionCodec('JSONCompactEachRow', 'extras_hex');
  let batch: PositionRow[] = [];
  let sent = 0;
  const flush = async (): Promise<void> => {
    const body = await encodeRows(batch, codec);
    await db.insert('positions', codec.columns, 'JSONCompactEachRow', body.chunks);
    sent += body.rows;
    batch = [];
  };
  for (const rows of synthFleetDay({ terminals: 800, dayStart: 1_773_072_000, parkedIntervalS: 300, seed: 7 })) {
    batch.push(...rows);
    if (batch.length >= 50_000) await flush();
  }
  await flush();
  await db.command('OPTIMIZE TABLE size_a.positions FINAL');
  const [p] = await db.query<{ rows: number; bytes: number }>(
    "SELECT toUInt64(sum(rows)) AS rows, toUInt64(sum(bytes_on_disk)) AS bytes FROM system.parts WHERE database = 'size_a' AND table = 'positions' AND active",
  );
  const perRow = Number(p.bytes) / Number(p.rows);
  t.ok(Number(p.rows) > 250_000 && Number(p.rows) < sent, `${p.rows} positions stored of ${sent} sent (resends collapsed)`);
  t.ok(perRow <= 3, `${perRow.toFixed(3)} bytes per stored position (all columns, marks and index included)`);
});
