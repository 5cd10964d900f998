/**
 * The decode stage: a piscina pool of worker threads (or the main thread when threads = 0). Each call
 * decodes one batch of spool records; the records are packed into one transferred ArrayBuffer.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { DecodedBatch } from '../store/rows.js';
import { packRecords } from './batch.js';
import { decodeRecords, type DecodeStats, type SpooledRecord } from './decode-records.js';

export interface Decoder {
  decode(records: readonly SpooledRecord[]): Promise<DecodedBatch & { stats: DecodeStats }>;
  readonly threads: number;
  close(): Promise<void>;
}

/** The worker file next to this module: compiled `.js` in dist/, `.ts` when run from source (tsx, tap). */
function workerFile(): string {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return js;
  return fileURLToPath(new URL('./worker.ts', import.meta.url));
}

export function createDecoder(threads: number): Decoder {
  if (threads <= 0) {
    return {
      threads: 0,
      decode: async (records) => decodeRecords(records),
      close: async () => {},
    };
  }
  const pool = new Piscina({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  return {
    threads,
    async decode(records) {
      if (records.length === 0) return { positions: [], ignition: [], terminals: [], stats: { records: 0, positions: 0, failed: 0, skipped: 0 } };
      const packed = packRecords(records);
      return pool.run({ records: packed }, { transferList: [packed] });
    },
    close: () => pool.destroy(),
  };
}
