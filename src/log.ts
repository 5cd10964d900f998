// The process logger: pino, JSON lines on stdout. Callers make child loggers for a connection or a terminal
// (`log.child({ phone, peer })`) once per session, not per message.
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Secrets that may ride along in logged objects: terminal auth codes, passwords, API keys, HTTP credentials, and
 * the Config's secret settings (a Config also redacts itself in toJSON). pino's `*` matches one level, so each
 * name is listed at the top and one object down (`{ terminal: { authCode } }`, `{ req: { headers } }`).
 */
export const REDACT_PATHS: readonly string[] = [
  'authCode', '*.authCode',
  'password', '*.password',
  'apiKey', '*.apiKey',
  'apiKeys', '*.apiKeys',
  'clickhousePassword', '*.clickhousePassword',
  'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization',
  'headers.cookie', '*.headers.cookie',
  'headers["x-api-key"]', '*.headers["x-api-key"]',
];

export interface LoggerOptions {
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream;
  /** Override stdout's TTY check (tests). */
  readonly isTTY?: boolean;
}

/** pino-pretty is not a dependency; someone who installs it gets readable lines at a terminal. */
export function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** pino-pretty only for a human at a terminal who has it installed: its transport costs a worker thread. */
export function outputFor(isTTY: boolean): 'pretty' | 'json' {
  return isTTY && prettyAvailable() ? 'pretty' : 'json';
}

export function createLogger(cfg: Pick<Config, 'logLevel'>, opts: LoggerOptions = {}): Logger {
  const options = {
    level: cfg.logLevel,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
  if (opts.destination) return pino(options, opts.destination);
  if (outputFor(opts.isTTY ?? process.stdout.isTTY === true) === 'pretty') {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { destination: 1 } }));
  }
  // Synchronous: start-up and shutdown lines must not be lost on exit; nothing logs per frame.
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
