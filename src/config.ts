// Every setting of the gateway, from FLEETGATE_* environment variables and --flags, validated at start.
// The table lives in config/settings.ts; this is the public face.
//
//   try { cfg = loadConfig(process.argv.slice(2), process.env) }
//   catch (e) { HelpRequested → stdout, exit 0; ConfigError → stderr, exit 2 }
//   log.info({ config: redactedConfig(cfg) }, 'starting')

export type { Config, SettingKey } from './config/settings.js';
export type { ApiKey, ApiRole, WorkingWindow } from './config/kinds.js';
export { formatWorkingHours, parseWorkingHours } from './config/kinds.js';
export { ConfigError, HelpRequested, type ConfigIssue } from './config/errors.js';
export { loadConfig } from './config/load.js';
export { redactedConfig, REDACTED } from './config/redact.js';
export { parseByteSize } from './config/kinds.js';
/** configHelp(): the --help text; configMarkdownTable(): the README's table. Same source. */
export { helpText as configHelp, markdownTable as configMarkdownTable } from './config/docs.js';
