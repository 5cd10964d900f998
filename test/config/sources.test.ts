// Where values come from: environment, flags (both forms), and flags over environment.
import t from 'tap';
import { loadConfig } from '../../src/config.js';

t.test('every kind of value from the environment', async (t) => {
  const cfg = loadConfig([], {
    FLEETGATE_HOST: '127.0.0.1',
    FLEETGATE_JT808_PORT: '7000',
    FLEETGATE_REGISTRATION: 'allowlist',
    FLEETGATE_ALLOWLIST_FILE: '/etc/fleetgate/allow.csv',
    FLEETGATE_REQUIRE_AUTH: 'no',
    FLEETGATE_ACK: 'received',
    FLEETGATE_MAX_FRAME_BYTES: '4KiB',
    FLEETGATE_HEARTBEAT_S: '2m',
    FLEETGATE_UTC_OFFSET_MIN: '-300',
    FLEETGATE_SPOOL_MAX_BYTES: '512MiB',
    FLEETGATE_RAW_RETENTION: '7',
    FLEETGATE_CLICKHOUSE_URL: 'https://ch.example:8443',
    FLEETGATE_CLICKHOUSE_USER: 'gw',
    FLEETGATE_CLICKHOUSE_PASSWORD: ' pass word ',
    FLEETGATE_CLICKHOUSE_CLUSTER: 'fleet_cluster',
    FLEETGATE_TIMEZONE: 'utc',
    FLEETGATE_API_KEYS: 'reader-key-0123456789, admin-key-0123456789:admin,',
    FLEETGATE_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000/',
    FLEETGATE_LOG_LEVEL: 'debug',
  });
  t.equal(cfg.host, '127.0.0.1');
  t.equal(cfg.jt808Port, 7000);
  t.equal(cfg.registration, 'allowlist');
  t.equal(cfg.allowlistFile, '/etc/fleetgate/allow.csv');
  t.equal(cfg.requireAuth, false);
  t.equal(cfg.ack, 'received');
  t.equal(cfg.maxFrameBytes, 4096);
  t.equal(cfg.heartbeatS, 120);
  t.equal(cfg.utcOffsetMin, -300);
  t.equal(cfg.spoolMaxBytes, 512 * 2 ** 20);
  t.equal(cfg.rawRetention, 7);
  t.equal(cfg.clickhouseUrl, 'https://ch.example:8443');
  t.equal(cfg.clickhousePassword, ' pass word ', 'secrets are not trimmed');
  t.equal(cfg.clickhouseCluster, 'fleet_cluster');
  t.equal(cfg.timezone, 'UTC', 'time zone canonicalised');
  t.same(cfg.apiKeys, [{ key: 'reader-key-0123456789', role: 'read' }, { key: 'admin-key-0123456789', role: 'admin' }]);
  t.same(cfg.corsOrigins, ['https://app.example.com', 'http://localhost:3000']);
  t.equal(cfg.logLevel, 'debug');
});

t.test('flags: --name value and --name=value', async (t) => {
  const cfg = loadConfig(['--jt808-port', '7000', '--http-port=9090', '--utc-offset-min', '-60', '--data-dir=/var/lib/fg'], {});
  t.equal(cfg.jt808Port, 7000);
  t.equal(cfg.httpPort, 9090);
  t.equal(cfg.utcOffsetMin, -60, 'a value may start with one dash');
  t.equal(cfg.dataDir, '/var/lib/fg');
});

t.test('flags win over the environment', async (t) => {
  const env = { FLEETGATE_JT808_PORT: '7000', FLEETGATE_LOG_LEVEL: 'warn', FLEETGATE_CLICKHOUSE_URL: 'http://ch:8123' };
  const cfg = loadConfig(['--jt808-port', '7001', '--clickhouse-url='], env);
  t.equal(cfg.jt808Port, 7001);
  t.equal(cfg.logLevel, 'warn', 'the environment still counts where no flag is given');
  t.equal(cfg.clickhouseUrl, undefined, 'an empty flag undoes an inherited variable');
});

t.test('a flag given twice: the last wins', async (t) => {
  t.equal(loadConfig(['--jt808-port=7000', '--jt808-port=7002'], {}).jt808Port, 7002);
});

t.test('boolean flags', async (t) => {
  const env = { FLEETGATE_REQUIRE_AUTH: 'false' };
  t.equal(loadConfig(['--require-auth'], env).requireAuth, true, 'alone means true');
  t.equal(loadConfig(['--require-auth', 'no'], {}).requireAuth, false, 'takes a following boolean word');
  t.equal(loadConfig(['--require-auth=0'], {}).requireAuth, false);
  t.equal(loadConfig(['--no-require-auth'], {}).requireAuth, false);
  const cfg = loadConfig(['--require-auth', '--jt808-port', '7000'], env);
  t.equal(cfg.requireAuth, true, 'does not swallow the next flag');
  t.equal(cfg.jt808Port, 7000);
});
