/**
 * One embedded engine per test file (chdb binds one data directory per process; tap runs each file in its own
 * process). Tests isolate themselves by database name instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../../../src/store/connect.js';
import type { Db } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrations.js';

let dataDir: string | undefined;
const open: Db[] = [];

/** A migrated database `name` on this process's embedded engine. */
export async function chdbDatabase(name: string): Promise<Db> {
  dataDir ??= mkdtempSync(path.join(os.tmpdir(), 'fg-store-test-'));
  const db = await openDb({ dataDir, database: name });
  await migrate(db);
  open.push(db);
  return db;
}

/** Closes every connection and removes the data directory (call from t.teardown). */
export async function closeChdb(): Promise<void> {
  for (const db of open.splice(0)) await db.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

export function chdbDataDir(): string {
  dataDir ??= mkdtempSync(path.join(os.tmpdir(), 'fg-store-test-'));
  return dataDir;
}
