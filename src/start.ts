/**
 * Wires the parts of DESIGN.md's data flow; `src/main.ts` runs them until SIGINT/SIGTERM.
 *   terminals ─TCP─► gateway ─► spool (group fsync) ─► decode workers ─► sink ─► ClickHouse ◄─ API
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { createMetrics, gatewayMetrics } from './metrics.js';
import { buildApi } from './api/app.js';
import { createDecoder } from './decode/pool.js';
import { IgnitionTracker } from './decode/ignition.js';
import { Gateway } from './gateway/server.js';
import { FileRegistryStore } from './gateway/registry-store.js';
import { TerminalRegistry } from './gateway/terminal-registry.js';
import { loadAllowlistCsv } from './gateway/allowlist.js';
import { gatewaySettings } from './gateway/settings.js';
import { Spool } from './spool/index.js';
import { latestPositions, openStore, Rollup, Sink } from './store/index.js';
import type { Logger } from 'pino';

const ROLLUP_INTERVAL_MS = 60_000;

export interface Running {
  stop(): Promise<void>;
  ports: { jt808: number; http: number };
}

/** Starts everything; resolves once both servers listen. Start-up errors reject with a clear message. */
export async function start(cfg: Config, log: Logger): Promise<Running> {
  const metrics = createMetrics();
  await mkdir(cfg.dataDir, { recursive: true });

  const spool = await Spool.open({
    dir: join(cfg.dataDir, 'spool'),
    fsyncIntervalMs: cfg.spoolFsyncMs,
    maxUnconsumedBytes: cfg.spoolMaxBytes,
    rawRetentionDays: cfg.rawRetention,
  });
  spool.on('error', (err: Error) => log.error({ err }, 'spool write failed; retrying, sockets paused'));
  spool.on('recovered', () => log.info('spool writes recovered'));

  const registry = await TerminalRegistry.open(new FileRegistryStore(join(cfg.dataDir, 'terminals.jsonl')), cfg.registration);
  if (cfg.allowlistFile) {
    const ids = await loadAllowlistCsv(cfg.allowlistFile);
    await registry.provision(ids, Date.now());
    log.info({ file: cfg.allowlistFile, terminals: ids.length }, 'allowlist loaded');
  }

  const db = await openStore({
    dataDir: cfg.dataDir,
    url: cfg.clickhouseUrl,
    username: cfg.clickhouseUser,
    password: cfg.clickhousePassword,
    database: cfg.clickhouseDatabase,
    cluster: cfg.clickhouseCluster,
  });

  // Ignition transitions continue from each terminal's last stored state, so a restart invents none.
  const ignition = new IgnitionTracker();
  const weekAgo = Math.floor(Date.now() / 1000) - 7 * 86_400;
  for (const p of await latestPositions(db, { sinceS: weekAgo })) ignition.seed(p.terminal, p.ts, (p.status & 1) === 1);

  const decoder = createDecoder(cfg.decodeThreads);
  const sink = new Sink({
    db,
    source: spool.consumer('sink'),
    name: 'sink',
    decode: async (records) => {
      const started = process.hrtime.bigint();
      const batch = await decoder.decode(records);
      metrics.decodeBatchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      batch.ignition = ignition.track(batch.positions).events;
      return batch;
    },
    maxRows: cfg.batchRows,
    maxDelayMs: cfg.batchMs,
    timezone: cfg.timezone,
    log: log.child({ component: 'sink' }),
  });
  void sink.start();

  const rollup = db.info.features.windowFunctions ? new Rollup(db, { timezone: cfg.timezone }) : null;
  if (!rollup) log.warn({ version: db.info.version }, 'this ClickHouse has no window functions: daily rollups are off');
  let rolling = false;
  const rollupTimer = setInterval(() => {
    if (!rollup || rolling) return;
    rolling = true;
    rollup
      .tick()
      .catch((err: unknown) => log.warn({ err }, 'rollup tick failed; retried next minute'))
      .finally(() => (rolling = false));
  }, ROLLUP_INTERVAL_MS);
  rollupTimer.unref();

  const gateway = new Gateway({
    settings: gatewaySettings(cfg),
    spool,
    registry,
    log: log.child({ component: 'gateway' }),
    metrics: gatewayMetrics(metrics),
    maxConnections: cfg.maxConnections,
    connectionsPerIpPerSecond: cfg.connRatePerIp,
  });

  const gaugeTimer = setInterval(() => {
    metrics.spoolUnconsumedBytes.set(spool.unconsumedBytes);
    metrics.sinkLagSeconds.set(sink.stats().lagSeconds);
  }, 1000);
  gaugeTimer.unref();

  const api = await buildApi({
    log,
    registry: metrics.registry,
    readiness: async () => {
      const checks: Record<string, true | string> = {};
      const s = sink.stats();
      checks.storage = s.consecutiveFailures === 0 ? true : `inserts failing: ${s.lastError ?? 'unknown error'}`;
      checks.spool = spool.isPaused ? `paused (${spool.lastError?.message ?? 'over its size limit'})` : true;
      return { ready: Object.values(checks).every((c) => c === true), checks };
    },
  });

  const tcp = await gateway.listen(cfg.jt808Port, cfg.host);
  await api.listen({ port: cfg.httpPort, host: cfg.host });
  const httpPort = (api.server.address() as { port: number }).port;
  log.info({ jt808: tcp.port, http: httpPort, storage: cfg.clickhouseUrl ? 'server' : 'embedded', ack: cfg.ack }, 'fleetgate started');

  let stopping: Promise<void> | null = null;
  return {
    ports: { jt808: tcp.port, http: httpPort },
    stop() {
      stopping ??= (async () => {
        clearInterval(rollupTimer);
        clearInterval(gaugeTimer);
        await gateway.close(); // no new frames
        await api.close();
        await spool.flush().catch(() => undefined);
        await sink.stop(); // drains what is durable, then checkpoints
        await decoder.close();
        await spool.close();
        await registry.close();
        await db.close();
      })();
      return stopping;
    },
  };
}
