/**
 * The decode stage: a piscina pool of worker threads (or the main thread when threads = 0). Each call
 * decodes and encodes one read of spool records (decode-read.ts); the records go packed into one transferred
 * ArrayBuffer, the encoded body and columns come back transferred.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { EncodeContext } from '../store/rows.js';
import { packRecords } from './batch.js';
import type { SpooledRecord } from './decode-records.js';
import { decodeRead, type DecodedRead } from './decode-read.js';

export interface Decoder {
  decode(records: readonly SpooledRecord[], ctx: EncodeContext): Promise<DecodedRead>;
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
  if (threads <= 0) return { threads: 0, decode: decodeRead, close: async () => {} };
  const pool = new Piscina({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  return {
    threads,
    async decode(records, ctx) {
      if (records.length === 0) return decodeRead(records, ctx);
      const packed = packRecords(records);
      return pool.run({ records: packed, ctx }, { transferList: [packed] });
    },
    close: () => pool.destroy(),
  };
}
