import t from 'tap';
import { availableParallelism } from 'node:os';
import { loadConfig, type Config } from '../../src/config.js';

t.test('no env, no flags: every default', async (t) => {
  const cfg = loadConfig([], {});
  const expected: Config = {
    host: '0.0.0.0',
    jt808Port: 6808,
    httpPort: 8080,
    maxConnections: 19000,
    connRatePerIp: 200,
    heapTrimChurn: 1000,
    registration: 'open',
    allowlistFile: undefined,
    requireAuth: true,
    authTimeoutS: 30,
    heartbeatS: 60,
    idleFactor: 3,
    utcOffsetMin: 480,
    ack: 'durable',
    checksum: 'strict',
    maxFrameBytes: 8192,
    subpackageTimeoutS: 30,
    subpackageMaxBytes: 1024 * 1024,
    dataDir: './data',
    spoolMaxBytes: 1024 ** 3,
    spoolFsyncMs: 2,
    rawRetention: 0,
    decodeThreads: 1,
    clickhouseUrl: undefined,
    clickhouseUser: undefined,
    clickhousePassword: undefined,
    clickhouseDatabase: 'fleetgate',
    clickhouseCluster: undefined,
    batchRows: 300000,
    batchMs: 1000,
    rollupBuckets: 1,
    timezone: 'Asia/Shanghai',
    apiKeys: [],
    apiRateLimit: 600,
    maxTrackDays: 31,
    corsOrigins: [],
    workingHours: [1, 2, 3, 4, 5].map((day) => ({ day, startMin: 480, endMin: 1080 })),
    logLevel: 'info',
  };
  t.same({ ...cfg }, expected);
  t.same(Object.keys(cfg).sort(), Object.keys(expected).sort(), 'no setting more, none less');
});

t.test('the config is frozen, arrays included', async (t) => {
  const cfg = loadConfig([], { FLEETGATE_CORS_ORIGINS: 'https://a.example' });
  t.ok(Object.isFrozen(cfg));
  t.ok(Object.isFrozen(cfg.corsOrigins));
  t.throws(() => {
    (cfg as { jt808Port: number }).jt808Port = 1;
  });
});

t.test('environment variables other than FLEETGATE_* are ignored', async (t) => {
  const cfg = loadConfig([], { PATH: '/bin', HOME: '/root', FLEETGATEWAY: 'x', fleetgate_jt808_port: '1' });
  t.equal(cfg.jt808Port, 6808);
});

t.test('an empty value means the default', async (t) => {
  const cfg = loadConfig([], { FLEETGATE_JT808_PORT: '', FLEETGATE_CLICKHOUSE_URL: '' });
  t.equal(cfg.jt808Port, 6808);
  t.equal(cfg.clickhouseUrl, undefined);
});

t.test('decode threads may go up to the number of cores', async (t) => {
  const cores = availableParallelism();
  t.equal(loadConfig([], { FLEETGATE_DECODE_THREADS: String(cores) }).decodeThreads, cores);
  t.equal(loadConfig([], { FLEETGATE_DECODE_THREADS: '0' }).decodeThreads, 0);
  t.throws(() => loadConfig([], { FLEETGATE_DECODE_THREADS: String(cores + 1) }), { message: /FLEETGATE_DECODE_THREADS: .* out of range \(0-/ });
});
