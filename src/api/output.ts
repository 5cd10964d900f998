/** Shared pieces of the non-JSON formats: CSV cells and the download headers. */
import type { FastifyReply } from 'fastify';

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const GEOJSON_TYPE = 'application/geo+json';
export const JSON_TYPE = 'application/json; charset=utf-8';

export type Cell = string | number | boolean | undefined | null;

/**
 * RFC 4180 quoting; a text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe. Text can come from terminals (plates, models), and terminals are not trusted.
 */
export function csvCell(v: Cell): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** `Content-Disposition: attachment` with a safe file name. */
export function attachment(reply: FastifyReply, name: string): void {
  reply.header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
}

/** Numbers rounded to a fixed number of decimals without float noise (12.300000000000001 → 12.3). */
export function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
