// loadConfig: environment, then flags over it, each value parsed by its setting's kind, then the checks across
// settings. Every problem is collected, so one start-up shows them all.
import { inspect } from 'node:util';
import { helpText } from './docs.js';
import { ConfigError, HelpRequested, issue, type ConfigIssue } from './errors.js';
import { redactedConfig } from './redact.js';
import {
  crossChecks, ENV_PREFIX, envName, flagName, settingKeys, settings, type Config, type SettingKey,
} from './settings.js';
import { suggest } from './suggest.js';

interface Raw {
  readonly name: string;
  readonly value: string;
}

const byFlag = new Map(settingKeys.map((k) => [flagName(k), k]));
const byEnv = new Map(settingKeys.map((k) => [envName(k), k]));
const isBoolean = (k: SettingKey): boolean => typeof settings[k].default === 'boolean';

// Compare names whatever their spelling: FLEETGATE_JT808_PORT, --jt808_port and --Jt808-Port all match.
const normalize = (s: string): string => s.toLowerCase().replace(/^-+/, '').replace(/^fleetgate[-_]/, '').replace(/_/g, '-');

function unknown(name: string, what: string, known: readonly string[]): ConfigIssue {
  const hint = suggest(name, known, normalize);
  return issue(name, `unknown ${what}${hint ? `; did you mean ${hint}?` : ''}`);
}

function fromEnv(env: NodeJS.ProcessEnv, issues: ConfigIssue[]): Map<SettingKey, Raw> {
  const out = new Map<SettingKey, Raw>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const key = byEnv.get(name);
    if (key === undefined) issues.push(unknown(name, 'environment variable', [...byEnv.keys()]));
    else out.set(key, { name, value });
  }
  return out;
}

const BOOLEAN_WORD = /^(true|false|1|0|yes|no)$/i;

/**
 * `--name value` and `--name=value`; a boolean flag alone means true, `--no-name` false. A value may start with
 * one dash (`--utc-offset-min -60`) but not two, so a forgotten value does not swallow the next flag.
 * Repeated flags: the last wins, so a wrapper script can override what it was given.
 */
function fromArgv(argv: readonly string[], issues: ConfigIssue[]): Map<SettingKey, Raw> {
  const out = new Map<SettingKey, Raw>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      // Not echoed: it may be a secret that lost its flag.
      issues.push(issue(`argument ${i + 1}`, 'unexpected (options are --name value or --name=value)'));
      continue;
    }
    const eq = arg.indexOf('=');
    // The name only: an unknown flag's value may be a secret.
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const key = byFlag.get(name);
    const negated = key === undefined && name.startsWith('--no-') ? byFlag.get(`--${name.slice(5)}`) : undefined;
    if (negated !== undefined) {
      if (!isBoolean(negated)) issues.push(issue(name, `only boolean flags take --no-; use ${flagName(negated)} <${settings[negated].kind.allowed}>`));
      else if (eq >= 0) issues.push(issue(name, `takes no value; use ${flagName(negated)}=<true | false>`));
      else out.set(negated, { name, value: 'false' });
      continue;
    }
    if (key === undefined) {
      issues.push(unknown(name, 'flag', [...byFlag.keys()]));
      // Its value would otherwise be reported (and printed) as a stray argument.
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) i++;
      continue;
    }
    if (eq >= 0) {
      out.set(key, { name, value: arg.slice(eq + 1) });
    } else if (isBoolean(key)) {
      const next = argv[i + 1];
      const take = next !== undefined && BOOLEAN_WORD.test(next);
      out.set(key, { name, value: take ? next : 'true' });
      if (take) i++;
    } else if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) {
      issues.push(issue(name, `needs a value (${settings[key].kind.allowed})`));
    } else {
      out.set(key, { name, value: argv[++i] });
    }
  }
  return out;
}

/**
 * Reads every setting from `env` (FLEETGATE_*) and `argv` (flags; they win), validates them and returns a frozen
 * Config. Throws ConfigError listing every problem, or HelpRequested for --help/-h. An empty value means the
 * default (as `VAR=` in a compose file means), so `--clickhouse-url=` can undo an inherited FLEETGATE_CLICKHOUSE_URL.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested(helpText());
  const issues: ConfigIssue[] = [];
  const raw = fromEnv(env, issues);
  for (const [k, v] of fromArgv(argv, issues)) raw.set(k, v);

  const cfg: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const s = settings[key];
    const given = raw.get(key);
    // Not trimmed: a password may have spaces, and a number with spaces fails with the spaces shown.
    const value = given?.value;
    if (given === undefined || value === undefined || value === '') {
      cfg[key] = s.default;
      continue;
    }
    const r = s.kind.parse(value);
    if (r.ok) cfg[key] = r.value;
    else issues.push(issue(given.name, s.secret ? `${r.problem} (value not shown: secret)` : `${JSON.stringify(value)} ${r.problem}`));
  }
  if (issues.length === 0) {
    for (const check of crossChecks) {
      const problem = check(cfg as Config);
      if (problem !== undefined) issues.push(problem);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return seal(cfg as Config);
}

/** Freezes deeply, and makes JSON.stringify and console.log show the redacted form: secrets stay in memory only. */
function seal(cfg: Config): Config {
  for (const v of Object.values(cfg)) {
    if (Array.isArray(v)) {
      v.forEach((e) => Object.freeze(e));
      Object.freeze(v);
    }
  }
  Object.defineProperty(cfg, 'toJSON', { value: () => redactedConfig(cfg), enumerable: false });
  Object.defineProperty(cfg, inspect.custom, { value: () => redactedConfig(cfg), enumerable: false });
  return Object.freeze(cfg);
}
