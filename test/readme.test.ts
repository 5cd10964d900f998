/**
 * README's configuration table is generated from the settings table; this keeps the two in step.
 * `UPDATE_README=1 npx tap test/readme.test.ts` rewrites it.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { configMarkdownTable } from '../src/config.js';

const README = new URL('../README.md', import.meta.url);
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

t.test('README configuration table matches src/config/settings.ts', async (t) => {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  t.ok(a >= 0 && b > a, 'README has the table markers');
  const expected = `${START}\n${configMarkdownTable().trim()}\n${END}`;
  const actual = text.slice(a, b + END.length);
  if (process.env.UPDATE_README === '1' && actual !== expected) {
    writeFileSync(README, text.slice(0, a) + expected + text.slice(b + END.length));
    t.pass('README rewritten');
    return;
  }
  t.equal(actual, expected, 'run UPDATE_README=1 npx tap test/readme.test.ts after changing a setting');
});

t.test('README states the two commands', async (t) => {
  const text = readFileSync(README, 'utf8');
  t.match(text, /npm ci && npm start/);
  t.match(text, /npm test/);
});
