/**
 * The query layer: one object over a clickhouse-js client that knows the server's features, binds
 * parameters the way that server can, and names tables for the deployment mode (cluster → Distributed).
 *
 * Settings never travel as clickhouse-js `clickhouse_settings` on the embedded connection: there they become
 * session-wide `SET`s that leak into every later query (CLICKHOUSE.md §7.1 — a leaked dedup token
 * silently drops later inserts). Per-query settings are written into the SQL `SETTINGS` clause instead;
 * only inserts over HTTP, where each request stands alone, send them as URL parameters.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { checkParams, inlineParams, type Params } from './bind.js';
import type { ServerInfo } from './server-info.js';

export type InsertFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'RowBinary';
export type SettingValue = string | number;

/** The embedded engine's own insert: the body's Buffers go to the engine without a UTF-8 pass. */
export type RawInsert = (
  table: string,
  columns: readonly string[],
  format: InsertFormat,
  chunks: readonly Buffer[],
  settings: Readonly<Record<string, SettingValue>> | undefined,
) => Promise<void>;

export interface DbParts {
  client: ClickHouseClient;
  info: ServerInfo;
  database: string;
  cluster: string | undefined;
  embedded: boolean;
  rawInsert?: RawInsert;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkIdent(what: string, v: string): string {
  if (!IDENT.test(v)) throw new Error(`${what} must match ${IDENT} (got ${JSON.stringify(v)})`);
  return v;
}

/** A query that failed, with the statement's start kept for the log (the cause is the ClickHouse error). */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  readonly code: string | undefined;
  constructor(sql: string, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`${msg.split('\n')[0]} [in: ${sql.replace(/\s+/g, ' ').slice(0, 160)}]`, { cause });
    this.code = (cause as { code?: string } | null)?.code;
  }
}

/** Checks setting names (identifiers) and numeric values (finite), whichever way the settings travel. */
function checkSettings(settings: Readonly<Record<string, SettingValue>>): void {
  for (const [k, v] of Object.entries(settings)) {
    checkIdent('setting name', k);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`setting ${k}: not a finite number`);
  }
}

/** Renders a `SETTINGS a = 1, b = 'x'` clause ('' for none); names are checked, strings escaped. */
export function settingsClause(settings: Readonly<Record<string, SettingValue>> | undefined): string {
  if (!settings) return '';
  checkSettings(settings);
  const parts = Object.entries(settings).map(([k, v]) => (typeof v === 'number' ? `${k} = ${v}` : `${k} = '${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`));
  return parts.length ? ` SETTINGS ${parts.join(', ')}` : '';
}

export class Db {
  readonly client: ClickHouseClient;
  readonly info: ServerInfo;
  readonly database: string;
  readonly cluster: string | undefined;
  readonly embedded: boolean;
  private readonly rawInsert: RawInsert | undefined;

  constructor(p: DbParts) {
    this.client = p.client;
    this.info = p.info;
    this.database = checkIdent('database', p.database);
    this.cluster = p.cluster === undefined ? undefined : checkIdent('cluster', p.cluster);
    this.embedded = p.embedded;
    this.rawInsert = p.rawInsert;
  }

  /** What a subclass (tests) needs to build another Db on the same connection. */
  get parts(): DbParts {
    return { client: this.client, info: this.info, database: this.database, cluster: this.cluster, embedded: this.embedded, rawInsert: this.rawInsert };
  }

  /** The table to read and insert into (the Distributed table on a cluster). */
  t(name: string): string {
    return `${this.database}.${checkIdent('table', name)}`;
  }

  /** The table that stores the parts (the `_local` Replicated table on a cluster): DDL, OPTIMIZE, system.parts. */
  local(name: string): string {
    return this.t(this.cluster ? `${name}_local` : name);
  }

  /** ` ON CLUSTER name` or ''. */
  get onCluster(): string {
    return this.cluster ? ` ON CLUSTER ${this.cluster}` : '';
  }

  private bind(sql: string, params: Params | undefined): { query: string; query_params?: Record<string, unknown> } {
    if (!this.info.features.queryParams) return { query: inlineParams(sql, params) };
    checkParams(sql, params);
    return params && Object.keys(params).length ? { query: sql, query_params: { ...params } } : { query: sql };
  }

  async query<T>(sql: string, params?: Params): Promise<T[]> {
    const q = this.bind(sql, params);
    try {
      const rs = await this.client.query({ ...q, format: 'JSONEachRow' });
      return await rs.json<T>();
    } catch (err) {
      throw new QueryError(sql, err);
    }
  }

  /**
   * The result as raw bytes in a binary `format` (RowBinary for the hot reads: fixed-width rows go straight
   * into typed arrays, with no text to format in the engine or to split here). Parameters bind as in query().
   */
  async queryBytes(sql: string, params: Params | undefined, format: 'RowBinary'): Promise<Buffer> {
    const q = this.bind(sql, params);
    try {
      const res = await this.client.exec({ ...q, query: `${q.query}\nFORMAT ${format}` });
      const chunks: Buffer[] = [];
      for await (const c of res.stream) chunks.push(c as Buffer);
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    } catch (err) {
      throw new QueryError(sql, err);
    }
  }

  async command(sql: string, params?: Params): Promise<void> {
    const q = this.bind(sql, params);
    try {
      await this.client.command(q);
    } catch (err) {
      throw new QueryError(sql, err);
    }
  }

  /**
   * Inserts an already encoded body. Over HTTP the chunks are streamed as they are; the embedded engine gets
   * one Buffer through its raw insert. `settings` are scoped to this insert on both paths: URL parameters of
   * the request over HTTP, the statement's `SETTINGS` clause on the embedded engine.
   */
  async insert(
    table: string,
    columns: readonly string[],
    format: InsertFormat,
    chunks: readonly (string | Buffer)[],
    settings?: Readonly<Record<string, SettingValue>>,
  ): Promise<void> {
    if (chunks.length === 0) return;
    // On a cluster the insert returns only once every shard has its rows (the spool may then drop them).
    const all = this.cluster ? { insert_distributed_sync: 1, ...settings } : settings;
    // Over HTTP the settings go in the URL, scoped to the request: older servers (18.16) cannot parse
    // `INSERT … SETTINGS`. The embedded engine has no URL; its raw insert writes them into the statement.
    const sql = `INSERT INTO ${this.t(table)} (${columns.join(', ')})${this.rawInsert ? settingsClause(all) : ''} FORMAT ${format}`;
    try {
      if (this.rawInsert) {
        return await this.rawInsert(this.t(table), columns, format, chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)), all);
      }
      if (all) checkSettings(all);
      const res = await this.client.exec({ query: sql, values: Readable.from(chunks), clickhouse_settings: all as ClickHouseSettings | undefined });
      // The response body is empty for an INSERT; drain it so the socket returns to the pool.
      for await (const _ of res.stream) void _;
    } catch (err) {
      throw new QueryError(sql, err);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
