/**
 * Starts a real Gateway on 127.0.0.1 (ephemeral port) with an in-memory spool and a file registry in a
 * temp dir, for the gateway tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Gateway } from '../../src/gateway/server.js';
import { FileRegistryStore } from '../../src/gateway/registry-store.js';
import { TerminalRegistry, type RegistrationPolicy } from '../../src/gateway/terminal-registry.js';
import { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from '../../src/gateway/types.js';
import { MemorySpool } from '../helpers/memory-spool.js';

export interface TestGateway {
  gateway: Gateway;
  spool: MemorySpool;
  registry: TerminalRegistry;
  port: number;
  dir: string;
  close(): Promise<void>;
}

export async function startGateway(
  settings: Partial<GatewaySettings> = {},
  opts: { policy?: RegistrationPolicy; autoCommitMs?: number | null; maxConnections?: number; perIp?: number } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-gw-'));
  const spool = new MemorySpool(opts.autoCommitMs === undefined ? 1 : opts.autoCommitMs);
  const registry = await TerminalRegistry.open(new FileRegistryStore(join(dir, 'terminals.jsonl')), opts.policy ?? 'open');
  const gateway = new Gateway({
    settings: { ...DEFAULT_GATEWAY_SETTINGS, ...settings },
    spool,
    registry,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    maxConnections: opts.maxConnections ?? 1000,
    connectionsPerIpPerSecond: opts.perIp ?? 0,
  });
  const addr = await gateway.listen(0, '127.0.0.1');
  return {
    gateway,
    spool,
    registry,
    port: addr.port,
    dir,
    async close() {
      await gateway.close();
      spool.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
