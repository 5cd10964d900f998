/**
 * Where registered terminals and their auth codes live. The registry caches them in memory; a store
 * only has to load, look up and save in batches. `FileRegistryStore` (JSON lines in the data dir,
 * fsynced) is the single-node default; a ClickHouse-backed store lets several gateways share codes.
 */
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The file holds every terminal's auth code: readable by the gateway's user only (SECURITY.md). */
const FILE_MODE = 0o600;

export interface TerminalRecord {
  id: string;
  authCode: string;
  /** Provisioned by an operator (allowlist); registration alone does not set it. */
  provisioned: boolean;
  registeredAtMs: number;
  plate?: string;
  plateColor?: number;
  makerId?: string;
  model?: string;
  deviceId?: string;
  version?: string;
}

export interface RegistryStore {
  loadAll(): Promise<TerminalRecord[]>;
  /** Persists the records durably before resolving (later records for an id replace earlier ones). */
  save(records: TerminalRecord[]): Promise<void>;
  close(): Promise<void>;
}

export class FileRegistryStore implements RegistryStore {
  private appendsSinceCompaction = 0;

  constructor(private readonly file: string) {}

  async loadAll(): Promise<TerminalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const byId = new Map<string, TerminalRecord>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.length === 0) continue;
      try {
        const rec = JSON.parse(line) as TerminalRecord;
        if (typeof rec.id === 'string' && typeof rec.authCode === 'string') byId.set(rec.id, rec);
      } catch {
        // A torn last line after a crash: everything before it was fsynced and is kept.
        if (i !== lines.length - 1 && i !== lines.length - 2) throw new Error(`${this.file}: line ${i + 1} is not valid JSON`);
      }
    }
    const records = [...byId.values()];
    // Rewrite compactly once per start so the file does not grow with re-registrations.
    if (byId.size < lines.length - 1) await this.rewrite(records);
    return records;
  }

  async save(records: TerminalRecord[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(dirname(this.file), { recursive: true });
    const fh = await open(this.file, 'a', FILE_MODE);
    try {
      await fh.write(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.appendsSinceCompaction += records.length;
  }

  private async rewrite(records: TerminalRecord[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w', FILE_MODE);
    try {
      await fh.write(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    this.appendsSinceCompaction = 0;
  }

  async close(): Promise<void> {}
}
