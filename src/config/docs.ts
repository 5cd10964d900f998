// --help and the README's configuration table, both generated from the settings table.
import { envName, flagName, settingKeys, settings, type SettingKey } from './settings.js';

function shownDefault(key: SettingKey): string {
  const s = settings[key];
  if (s.secret || s.default === undefined) return '';
  return (s.kind.show as (v: unknown) => string)(s.default);
}

/** Greedy word wrap; help is read in 100-column terminals. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line !== indent) {
      lines.push(line);
      line = indent;
    }
    line += line === indent ? word : ` ${word}`;
  }
  lines.push(line);
  return lines;
}

export function helpText(): string {
  const lines = [
    'Usage: fleetgate [options]',
    '',
    ...wrap('Every option can be given as a flag or in the environment: --jt808-port 7000 is FLEETGATE_JT808_PORT=7000, '
      + 'and --jt808-port=7000 works too. Flags win over the environment. An empty value means the default. '
      + 'Unknown flags and unknown FLEETGATE_* variables are errors. Boolean flags alone mean true; --no-<name> means false.', ''),
  ];
  let group = '';
  for (const key of settingKeys) {
    const s = settings[key];
    if (s.group !== group) {
      group = s.group;
      lines.push('', `${group}:`);
    }
    const def = shownDefault(key);
    lines.push(
      `  ${flagName(key)}, ${envName(key)}`,
      ...wrap(s.doc, '      '),
      ...wrap(`${s.kind.allowed}${def === '' ? '' : `; default ${def}`}${s.secret ? '; secret: never logged' : ''}`, '      '),
    );
  }
  lines.push('', '  -h, --help', '      Print this text.', '');
  return lines.join('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function markdownTable(): string {
  const rows = [
    '| Environment variable | Flag | Default | Allowed | Description |',
    '|---|---|---|---|---|',
  ];
  for (const key of settingKeys) {
    const s = settings[key];
    const def = shownDefault(key);
    rows.push(`| \`${envName(key)}\` | \`${flagName(key)}\` | ${def === '' ? '' : `\`${cell(def)}\``} | ${cell(s.kind.allowed)} | ${cell(s.doc)}${s.secret ? ' *Secret.*' : ''} |`);
  }
  return `${rows.join('\n')}\n`;
}
