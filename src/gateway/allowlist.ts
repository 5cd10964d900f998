/**
 * Allowlist CSV for FLEETGATE_REGISTRATION=allowlist: one terminal per line, the id in the first
 * column (digits with or without leading zeros, or a hex id); a header line, blank lines and `#`
 * comments are allowed. Any other bad line stops start-up with its line number.
 */
import { readFile } from 'node:fs/promises';
import { normaliseTerminalIdInput } from '../../protocols/jt808/bcd.js';

export function parseAllowlistCsv(text: string, source = 'allowlist'): string[] {
  const ids: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const first = line.split(',')[0].trim().replace(/^"|"$/g, '');
    const id = normaliseTerminalIdInput(first);
    if (id === undefined) {
      if (i === 0 && /[a-z]/i.test(first)) continue; // a header row such as "terminal,plate"
      throw new Error(`${source}:${i + 1}: "${first.slice(0, 40)}" is not a terminal id (digits, or an even number of hex digits)`);
    }
    ids.push(id);
  }
  return ids;
}

export async function loadAllowlistCsv(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`FLEETGATE_ALLOWLIST_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseAllowlistCsv(text, file);
}
