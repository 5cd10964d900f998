/**
 * Where figures go: one CSV row per round and figure in bench/out/<bench>.csv (STYLE.md rule 11:
 * date, sha, node, cpu, cores, config, unit, value; bench/out/ is gitignored), and generated sections of
 * bench/RESULTS.md, each replaced whole from its `## Title` line to the next `## ` heading so hand-kept
 * sections (notes, profiles) and other benchmarks' sections stay as they are.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, type Machine } from './machine.js';

export const OUT_DIR = join(REPO, 'bench', 'out');
export const RESULTS_FILE = join(REPO, 'bench', 'RESULTS.md');

const HEADER = 'date,sha,node,cpu,cores,config,unit,value';

function csvCell(s: string | number): string {
  const t = String(s);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** Appends rows to bench/out/<name>.csv (header written once). */
export class CsvOut {
  readonly file: string;
  private readonly head: string;

  constructor(name: string, m: Machine) {
    mkdirSync(OUT_DIR, { recursive: true });
    this.file = join(OUT_DIR, `${name}.csv`);
    if (!existsSync(this.file)) writeFileSync(this.file, `${HEADER}\n`);
    this.head = [m.date, m.sha, m.node, m.cpu, m.cores].map(csvCell).join(',');
  }

  row(config: string, unit: string, value: number): void {
    if (!Number.isFinite(value)) return;
    appendFileSync(this.file, `${this.head},${csvCell(config)},${csvCell(unit)},${value}\n`);
  }
}

/** Replaces the section that starts with `## title` (up to the next `## `), or appends it. */
export function writeSection(title: string, body: string, file = RESULTS_FILE): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const heading = `## ${title}\n`;
  const section = `${heading}${body.trim()}\n\n`;
  const at = text.startsWith(heading) ? 0 : text.indexOf(`\n${heading}`);
  if (at < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const start = at === 0 && text.startsWith(heading) ? 0 : at + 1;
  const next = text.indexOf('\n## ', start + heading.length - 1);
  writeFileSync(file, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
}

/** A Markdown table from a header and rows of cells. */
export function table(head: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly (string | number)[])[]): string {
  const sep = align.map((a) => (a === 'r' ? '---:' : '---'));
  return [head, sep, ...rows.map((r) => r.map(String))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** Writes bench/out/<name>.json (the full figures of the last run). */
export function writeJson(name: string, value: unknown): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  return file;
}
