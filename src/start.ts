/**
 * Wires the parts of DESIGN.md's data flow; `src/main.ts` runs them until SIGINT/SIGTERM.
 *   terminals ─TCP─► gateway ─► spool (group fsync) ─► decode workers ─► sink ─► ClickHouse ◄─ API
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { createMetrics, gatewayMetrics } from './metrics.js';
import { sampleIntoMetrics } from './observe.js';
import { collectGarbage, HeapTrim } from './heap-trim.js';
import { buildApi } from './api/app.js';
import { TrackCache } from './api/tracks/cache.js';
import { liveSessions, terminalDirectory } from './api-adapters.js';
import { createDecoder } from './decode/pool.js';
import { decodeStage } from './decode/stage.js';
import { IgnitionTracker } from './decode/ignition.js';
import { Gateway } from './gateway/server.js';
import { FileRegistryStore } from './gateway/registry-store.js';
import { TerminalRegistry } from './gateway/terminal-registry.js';
import { loadAllowlistCsv } from './gateway/allowlist.js';
import { gatewaySettings } from './gateway/settings.js';
import { nodeIo, Spool } from './spool/index.js';
import { LatestCache, latestPositions, openStore, Rollup, Sink, type TickResult } from './store/index.js';
import type { SpoolRecord } from './spool/index.js';
import type { Logger } from 'pino';

const ROLLUP_INTERVAL_MS = 60_000;

export interface Running {
  stop(): Promise<void>;
  ports: { jt808: number; http: number };
  /** Runs the daily rollup until it has nothing left to do (what the minute timer does, now; for tests and tools). */
  rollupNow(): Promise<void>;
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
    // Timed, because a slow fdatasync holds every answer of its group: the answer p99 follows its tail.
    io: {
      fdatasync: async (fd: number) => {
        const end = metrics.spoolFsyncSeconds.startTimer();
        await nodeIo.fdatasync(fd);
        end();
      },
    },
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
  // The same read seeds the in-memory latest positions the API serves.
  const ignition = new IgnitionTracker();
  const latest = new LatestCache();
  const weekAgo = Math.floor(Date.now() / 1000) - 7 * 86_400;
  const lastKnown = await latestPositions(db, { sinceS: weekAgo });
  for (const p of lastKnown) ignition.seed(p.terminal, p.ts, (p.status & 1) === 1);
  latest.seed(lastKnown);

  // Tracks are cached only while this process is the only writer: the embedded engine. The cache drops a
  // terminal's tracks when the sink commits rows of it (the wrapped commit below), so late data shows at once.
  const trackCache = cfg.clickhouseUrl ? undefined : new TrackCache();
  const consumer = spool.consumer('sink');
  const source = {
    read: (maxBytes: number) => consumer.read(maxBytes),
    waitForData: (minBytes: number, timeoutMs: number, signal: AbortSignal) => consumer.waitForData(minBytes, timeoutMs, signal),
    commit: async (position: number) => {
      await consumer.commit(position);
      trackCache?.committed(position);
    },
  };

  const decoder = createDecoder(cfg.decodeThreads);
  const sink = new Sink({
    db,
    source,
    name: 'sink',
    decode: decodeStage<SpoolRecord>({ decoder, ignition, latest, trackCache, observe: (s) => metrics.decodeBatchSeconds.observe(s) }),
    maxRows: cfg.batchRows,
    maxDelayMs: cfg.batchMs,
    timezone: cfg.timezone,
    log: log.child({ component: 'sink' }),
  });
  void sink.start();

  const rollup = db.info.features.windowFunctions ? new Rollup(db, { timezone: cfg.timezone, buckets: cfg.rollupBuckets }) : null;
  if (!rollup) log.warn({ version: db.info.version }, 'this ClickHouse has no window functions: daily rollups are off');
  // One tick at a time, whether the timer or rollupNow() asks.
  let rolling: Promise<TickResult> | undefined;
  const rollupTick = (): Promise<TickResult> => {
    if (!rollup) return Promise.resolve({ days: [], restated: [] });
    rolling ??= rollup.tick().finally(() => (rolling = undefined));
    return rolling;
  };
  const rollupTimer = setInterval(() => {
    if (!rolling) rollupTick().catch((err: unknown) => log.warn({ err }, 'rollup tick failed; retried next minute'));
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

  const heapTrim = new HeapTrim({
    minChurn: cfg.heapTrimChurn,
    churn: () => gateway.connectionChurn,
    frames: () => metrics.frames.total(),
    connections: () => gateway.connections,
    collect: collectGarbage,
    log: log.child({ component: 'heap' }),
    trimmed: (pauseMs) => metrics.heapTrimSeconds.observe(pauseMs / 1000),
  });

  // The sink's running totals, mirrored into its counters (rows of committed batches; failed attempts, each retry).
  const stopSampling = sampleIntoMetrics(metrics, { spool, sink });

  const api = await buildApi({
    log,
    registry: metrics.registry,
    requestSeconds: metrics.apiRequestSeconds,
    data: { db, rollup, latest, terminals: terminalDirectory(registry), sessions: liveSessions(gateway), trackCache },
    options: {
      apiKeys: cfg.apiKeys,
      apiRateLimit: cfg.apiRateLimit,
      maxTrackDays: cfg.maxTrackDays,
      corsOrigins: cfg.corsOrigins,
      timezone: cfg.timezone,
      workingHours: cfg.workingHours,
    },
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
  // Start-up (migrations, the registry, the engine's first queries) leaves garbage of its own: collected once the
  // servers listen, before terminals arrive in number, so the process starts from its working size.
  if (cfg.heapTrimChurn > 0) await heapTrim.trim('start-up');
  heapTrim.start();
  log.info({ jt808: tcp.port, http: httpPort, storage: cfg.clickhouseUrl ? 'server' : 'embedded', ack: cfg.ack }, 'fleetgate started');

  let stopping: Promise<void> | null = null;
  return {
    ports: { jt808: tcp.port, http: httpPort },
    async rollupNow() {
      while (rolling) await rolling.catch(() => undefined);
      for (;;) {
        const r = await rollupTick();
        if (r.days.length === 0 && r.restated.length === 0) return;
      }
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(rollupTimer);
        heapTrim.stop();
        stopSampling();
        await gateway.close(); // no new frames
        await api.close();
        await spool.flush().catch(() => undefined);
        await sink.stop(); // drains what is durable, then checkpoints
        await decoder.close();
        await spool.close();
        await registry.close();
        await rolling?.catch(() => undefined); // a rollup tick in flight still uses the connection
        await db.close();
      })();
      return stopping;
    },
  };
}
