/**
 * Tab-separated results for the hot read paths (tracks): a numeric TSV line splits several times faster than
 * JSONEachRow parses (≈1 ms against ≈4 ms for a 2,880-point day on chdb; bench/api.ts). Parameters are bound
 * exactly as Db.query binds them (bind.ts), so values never enter the SQL text on servers that bind them.
 */
import type { Db } from '../db.js';
import { QueryError } from '../db.js';
import { checkParams, inlineParams, type Params } from '../bind.js';

/** Rows of numeric columns, each row an array of strings (the caller converts once, into typed arrays). */
export async function queryTsv(db: Db, sql: string, params: Params): Promise<string[][]> {
  let query = sql;
  let query_params: Record<string, unknown> | undefined;
  if (db.info.features.queryParams) {
    checkParams(sql, params);
    query_params = { ...params };
  } else query = inlineParams(sql, params);
  let text: string;
  try {
    const rs = await db.client.query({ query, query_params, format: 'TabSeparated' });
    text = await rs.text();
  } catch (err) {
    throw new QueryError(sql, err);
  }
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}
