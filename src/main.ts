#!/usr/bin/env node
/**
 * `npm start`: load the configuration (env + flags), start everything, stop cleanly on SIGINT/SIGTERM.
 * An invalid setting stops start-up with a message naming it (exit 2).
 */
import { ConfigError, HelpRequested, loadConfig, redactedConfig, type Config } from './config.js';
import { createLogger } from './log.js';
import { start, type Running } from './start.js';

async function main(): Promise<void> {
  let cfg: Config;
  try {
    cfg = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.message + '\n');
      process.exit(0);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`fleetgate: invalid configuration\n${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(cfg);
  log.info({ config: redactedConfig(cfg) }, 'starting');
  let running: Running;
  try {
    running = await start(cfg, log);
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}

void main();
