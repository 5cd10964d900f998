/** A Db whose inserts can be made to fail before or after they land (a timeout whose insert went through). */
import { createHash } from 'node:crypto';
import { Db, type InsertFormat, type SettingValue } from '../../../src/store/db.js';
import type { Params } from '../../../src/store/bind.js';

/** LEB128 length at `at` → [length, offset after it]. */
function readLength(b: Buffer, at: number): [number, number] {
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    const x = b[at++];
    n += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [n, at];
  }
}

/** Rows in a positions RowBinary body (position-row-binary.ts): terminal, 41 fixed bytes, extras. */
function rowBinaryPositions(b: Buffer): number {
  let rows = 0;
  for (let at = 0; at < b.length; rows++) {
    let [n, next] = readLength(b, at);
    [n, next] = readLength(b, next + n + 41);
    at = next + n;
  }
  return rows;
}

export class FlakyDb extends Db {
  /** Every call throws while true (server down). */
  down = false;
  /** The next n position inserts throw without sending anything. */
  failBefore = 0;
  /** The next n position inserts land, then throw (the client never learns they landed). */
  failAfter = 0;
  readonly log: string[] = [];
  /** Every landed insert: its token, the sha256 of the exact bytes sent, and its rows (lines of a text body). */
  readonly sent: Array<{ table: string; token: string; sha256: string; lines: number }> = [];

  constructor(real: Db) {
    super(real.parts);
  }

  override async query<T>(sql: string, params?: Params): Promise<T[]> {
    if (this.down) throw new Error('connect ECONNREFUSED (injected)');
    return super.query<T>(sql, params);
  }

  override async insert(table: string, columns: readonly string[], format: InsertFormat, chunks: readonly (string | Buffer)[], settings?: Readonly<Record<string, SettingValue>>): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED (injected)');
    if (table === 'positions' && this.failBefore > 0) {
      this.failBefore--;
      throw new Error('socket hang up (injected, not landed)');
    }
    await super.insert(table, columns, format, chunks, settings);
    this.log.push(`${table}:${String(settings?.insert_deduplication_token ?? '')}`);
    const body = Buffer.concat(chunks.map((c) => Buffer.from(c)));
    const lines = format === 'RowBinary' ? rowBinaryPositions(body) : body.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    this.sent.push({ table, token: String(settings?.insert_deduplication_token ?? ''), sha256: createHash('sha256').update(body).digest('hex'), lines });
    if (table === 'positions' && this.failAfter > 0) {
      this.failAfter--;
      throw new Error('request timeout (injected, landed)');
    }
  }
}
