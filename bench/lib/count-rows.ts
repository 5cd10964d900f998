/**
 * Rows a stopped gateway stored, read from its embedded ClickHouse data dir by a process of its own (the
 * embedded engine is one per process and the gateway's is gone by then):
 *
 *   node --import tsx bench/lib/count-rows.ts <data-dir> [group-size]
 *
 * Prints one JSON object: positions per terminal group (terminal id ÷ group-size, default 100,000 — one
 * group per benchmark drive), distinct (terminal, second) per group, and the storage of the positions table
 * (rows, compressed bytes, bytes on disk of active parts, after an OPTIMIZE FINAL so parts are merged as they
 * would be at rest).
 */
import { openDb } from '../../src/store/connect.js';

const dataDir = process.argv[2];
const group = Number(process.argv[3] ?? 100_000);
if (!dataDir) {
  process.stderr.write('usage: count-rows.ts <data-dir> [group-size]\n');
  process.exit(2);
}

const db = await openDb({ dataDir });
try {
  const groups = await db.query<{ g: string; rows: string; distinct: string }>(
    `SELECT toString(intDiv(toUInt64OrZero(terminal), ${group})) AS g, toString(count()) AS rows, toString(uniqExact(terminal, ts)) AS distinct
     FROM ${db.t('positions')} GROUP BY g ORDER BY g`,
  );
  const storage = async (): Promise<{ rows: number; compressed: number; onDisk: number; parts: number }> => {
    const [p] = await db.query<{ rows: string; compressed: string; disk: string; parts: string }>(
      `SELECT toString(sum(rows)) AS rows, toString(sum(data_compressed_bytes)) AS compressed, toString(sum(bytes_on_disk)) AS disk,
              toString(count()) AS parts
       FROM system.parts WHERE database = '${db.database}' AND table = 'positions' AND active`,
    );
    return { rows: Number(p.rows), compressed: Number(p.compressed), onDisk: Number(p.disk), parts: Number(p.parts) };
  };
  const asIngested = await storage();
  await db.command(`OPTIMIZE TABLE ${db.t('positions')} FINAL`);
  const merged = await storage();
  process.stdout.write(
    JSON.stringify({
      groups: Object.fromEntries(groups.map((r) => [r.g, { rows: Number(r.rows), distinct: Number(r.distinct) }])),
      storage: { asIngested, merged },
    }) + '\n',
  );
} finally {
  await db.close();
}
