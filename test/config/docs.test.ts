import t from 'tap';
import { configHelp, configMarkdownTable, loadConfig } from '../../src/config.js';

const envNames = Object.keys(loadConfig([], {})).map((k) => `FLEETGATE_${k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`);

t.test('the help text lists every setting with its flag and variable', async (t) => {
  const help = configHelp();
  t.equal(envNames.length, 38);
  for (const env of envNames) {
    t.match(help, env, env);
    const flag = `--${env.slice('FLEETGATE_'.length).toLowerCase().replace(/_/g, '-')}`;
    t.match(help, `  ${flag}, ${env}\n`, flag);
  }
  t.match(help, 'default 6808');
  t.match(help, 'default 1GiB');
  t.match(help, '--help');
  t.ok(help.split('\n').every((l) => l.length <= 100), 'fits 100 columns');
});

t.test('every variable named in the help text is accepted', async (t) => {
  for (const env of envNames) {
    t.doesNotThrow(() => loadConfig([], { [env]: '' }), env);
  }
});

t.test('the Markdown table has one row per setting', async (t) => {
  const table = configMarkdownTable();
  const rows = table.trim().split('\n');
  t.equal(rows.length, envNames.length + 2);
  for (const env of envNames) t.match(table, `| \`${env}\` |`);
  t.match(table, '| `FLEETGATE_REGISTRATION` | `--registration` | `open` | open \\| allowlist |');
  for (const row of rows.slice(2)) t.equal(row.split(/(?<!\\)\|/).length, 7, row);
});
