/**
 * The one factory: embedded engine by default (chdb, loaded only here and only when no URL is set),
 * a server when a URL is given, ON CLUSTER DDL when a cluster is named.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createClient, ClickHouseLogLevel, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { Db, checkIdent, settingsClause, type RawInsert } from './db.js';
import { DEFAULT_DATABASE, type StoreOptions } from './options.js';
import { PROBED_MERGE_TREE_SETTINGS, serverInfo } from './server-info.js';

/** Insert files are named by this process-wide counter: several Db objects may share one data directory. */
let insertFileNo = 0;
/** Directories already cleared of a previous run's leftovers by this process. */
const clearedInsertDirs = new Set<string>();

/** A path as a ClickHouse string literal. */
const sqlString = (v: string): string => `'${v.replace(/[\\']/g, (c) => `\\${c}`)}'`;

async function embedded(dataDir: string): Promise<{ client: ClickHouseClient; rawInsert: RawInsert }> {
  let mod: typeof import('chdb/connection');
  try {
    mod = await import('chdb/connection');
  } catch (err) {
    throw new Error(
      'the embedded ClickHouse engine needs the optional dependency "chdb" (npm install chdb), ' +
        'or point FLEETGATE_CLICKHOUSE_URL at a server',
      { cause: err },
    );
  }
  const dir = path.resolve(dataDir, 'clickhouse');
  await mkdir(dir, { recursive: true });
  // Binary bodies go through a file (below); one left by a crash belongs to a batch the spool replays.
  const insertDir = path.resolve(dataDir, 'insert-files');
  if (!clearedInsertDirs.has(insertDir)) {
    clearedInsertDirs.add(insertDir);
    await rm(insertDir, { recursive: true, force: true });
  }
  await mkdir(insertDir, { recursive: true });
  // One data directory per process (chdb is a singleton): a second, different path throws here.
  // chdb types the connection against its own copy of @clickhouse/client-common: same shape, other module.
  const conn = mod.createChdbConnection({ path: dir });
  const connection = conn as unknown as ClickHouseClientConfigOptions['connection'];
  const client = createClient({ connection, log: { level: ClickHouseLogLevel.OFF } });
  return {
    client,
    rawInsert: async (table, columns, format, chunks, settings) => {
      if (format !== 'RowBinary') {
        // SETTINGS go into the INSERT statement here too (chdb builds `INSERT … SETTINGS k=v FORMAT …`).
        await conn.chdb.rawInsert({ table, columns, format, values: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), settings });
        return;
      }
      // chdb's raw insert takes text formats only, and its inline-data path costs ~2 µs of CPU per position row
      // whatever the format; INSERT … SELECT from a RowBinary file costs ~0.5–0.7 (bench/insert-paths.ts).
      const file = path.join(insertDir, `${++insertFileNo}.rowbinary`);
      try {
        // Made again if someone removed it: the sink retries this insert until it lands.
        await mkdir(insertDir, { recursive: true });
        const fh = await open(file, 'w');
        try {
          let size = 0;
          for (const c of chunks) size += c.length;
          const { bytesWritten } = await fh.writev(chunks as Buffer[]);
          // A short write (disk full) would insert a torn body; fail here and let the sink retry.
          if (bytesWritten !== size) throw new Error(`${file}: wrote ${bytesWritten} of ${size} bytes`);
        } finally {
          await fh.close();
        }
        await client.command({
          query: `INSERT INTO ${table} (${columns.join(', ')})${settingsClause(settings)} SELECT * FROM file(${sqlString(file)}, RowBinary)`,
        });
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}

function serverClient(o: StoreOptions & { url: string }): ClickHouseClient {
  return createClient({
    url: o.url,
    username: o.username,
    password: o.password,
    request_timeout: o.requestTimeoutMs ?? 60_000,
    tls: o.tls ? (o.tls.cert && o.tls.key ? { ca_cert: o.tls.caCert, cert: o.tls.cert, key: o.tls.key } : { ca_cert: o.tls.caCert }) : undefined,
    // Errors reach our logger through QueryError; the client's own console logger would print them twice.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/** Connects, reads the server version, creates the database. Migrations are a separate step (migrate()). */
export async function openDb(o: StoreOptions): Promise<Db> {
  const database = checkIdent('database', o.database ?? DEFAULT_DATABASE);
  if (o.cluster !== undefined) {
    checkIdent('cluster', o.cluster);
    if (!o.url) throw new Error('FLEETGATE_CLICKHOUSE_CLUSTER needs FLEETGATE_CLICKHOUSE_URL (the embedded engine has no cluster)');
  }
  const { client, rawInsert } = o.url ? { client: serverClient({ ...o, url: o.url }), rawInsert: undefined } : await embedded(o.dataDir);
  try {
    const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const [{ v }] = await rs.json<{ v: string }>();
    const probe = await client.query({
      query: `SELECT name FROM system.merge_tree_settings WHERE name IN (${PROBED_MERGE_TREE_SETTINGS.map((n) => `'${n}'`).join(', ')})`,
      format: 'JSONEachRow',
    });
    const info = serverInfo(v, new Set((await probe.json<{ name: string }>()).map((r) => r.name)));
    if (o.cluster && !info.features.onCluster) throw new Error(`ClickHouse ${v} is too old for cluster mode`);
    const db = new Db({ client, info, database, cluster: o.cluster, embedded: !o.url, rawInsert });
    await db.command(`CREATE DATABASE IF NOT EXISTS ${database}${db.onCluster}`);
    return db;
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
