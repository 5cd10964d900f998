// Every kind of bad value fails start-up with a message naming the setting, the value and what is allowed.
import t from 'tap';
import { ConfigError, HelpRequested, loadConfig } from '../../src/config.js';

function error(argv: string[], env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('loadConfig did not throw');
}

const badValues: Array<[string, string, string]> = [
  // [variable, value, exact message after "NAME: "]
  ['FLEETGATE_JT808_PORT', '70000', '"70000" is not a port (1-65535)'],
  ['FLEETGATE_HTTP_PORT', '0', '"0" is not a port (1-65535)'],
  ['FLEETGATE_HTTP_PORT', 'http', '"http" is not a port (1-65535)'],
  ['FLEETGATE_HOST', 'not a host', '"not a host" is not an IP address or host name'],
  ['FLEETGATE_MAX_CONNECTIONS', '0', '"0" is out of range (1-1000000)'],
  ['FLEETGATE_MAX_CONNECTIONS', '1e4', '"1e4" is not an integer (1-1000000)'],
  ['FLEETGATE_MAX_CONNECTIONS', ' 100', '" 100" is not an integer (1-1000000)'],
  ['FLEETGATE_IDLE_FACTOR', '2.5', '"2.5" is not an integer (1-100)'],
  ['FLEETGATE_UTC_OFFSET_MIN', '900', '"900" is out of range (-720 to 840)'],
  ['FLEETGATE_UTC_OFFSET_MIN', '+08:00', '"+08:00" is not an integer (-720 to 840)'],
  ['FLEETGATE_REGISTRATION', 'closed', '"closed" is not one of open | allowlist'],
  ['FLEETGATE_ACK', 'DURABLE', '"DURABLE" is not one of durable | received'],
  ['FLEETGATE_CHECKSUM', 'off', '"off" is not one of strict | lenient'],
  ['FLEETGATE_LOG_LEVEL', 'verbose', '"verbose" is not one of fatal | error | warn | info | debug | trace | silent'],
  ['FLEETGATE_REQUIRE_AUTH', 'maybe', '"maybe" is not a boolean (true/false, 1/0, yes/no)'],
  ['FLEETGATE_MAX_FRAME_BYTES', '32', '"32" is out of range (64-64KiB)'],
  ['FLEETGATE_MAX_FRAME_BYTES', '1MiB', '"1MiB" is out of range (64-64KiB)'],
  ['FLEETGATE_SPOOL_MAX_BYTES', '1MB', '"1MB" is out of range (at least 16MiB)'],
  ['FLEETGATE_SPOOL_MAX_BYTES', 'lots', '"lots" is not a byte size (a number with an optional unit B, kB, KiB, MB, MiB, GB, GiB, TB, TiB)'],
  ['FLEETGATE_AUTH_TIMEOUT_S', '0', '"0" is out of range (1-3600 seconds)'],
  ['FLEETGATE_SPOOL_FSYNC_MS', '5s', '"5s" is out of range (0-1000 milliseconds)'],
  ['FLEETGATE_RAW_RETENTION', '-1', '"-1" is not a duration (0-3650 days; a suffix ms, s, m, h or d is optional)'],
  ['FLEETGATE_CLICKHOUSE_URL', 'ch:8123', '"ch:8123" is not an http:// or https:// URL'],
  ['FLEETGATE_CLICKHOUSE_URL', 'localhost', '"localhost" is not a URL (http://host:port or https://host:port)'],
  ['FLEETGATE_CLICKHOUSE_URL', 'ftp://ch', '"ftp://ch" is not an http:// or https:// URL'],
  ['FLEETGATE_CLICKHOUSE_DATABASE', 'fleet-gate', '"fleet-gate" is not an identifier (letters, digits, _; not starting with a digit)'],
  ['FLEETGATE_CLICKHOUSE_DATABASE', 'x; DROP TABLE y', '"x; DROP TABLE y" is not an identifier (letters, digits, _; not starting with a digit)'],
  ['FLEETGATE_TIMEZONE', 'Asia/Beijing', '"Asia/Beijing" is not an IANA time zone (e.g. Asia/Shanghai, UTC)'],
  ['FLEETGATE_CORS_ORIGINS', 'https://a.example/app', '"https://a.example/app" has an entry 1 that is not an origin (scheme://host[:port], no path)'],
  ['FLEETGATE_CORS_ORIGINS', '*,https://a.example', '"*,https://a.example" mixes * with origins (* allows every origin)'],
  ['FLEETGATE_DATA_DIR', 'a\0b', '"a\\u0000b" contains a NUL character'],
];

t.test('each bad value names the setting, the value and what is allowed', async (t) => {
  for (const [name, value, rest] of badValues) {
    const env = { [name]: value, FLEETGATE_CLICKHOUSE_URL: name === 'FLEETGATE_CLICKHOUSE_URL' ? value : undefined };
    const e = error([], env);
    t.equal(e.message, `${name}: ${rest}`, `${name}=${JSON.stringify(value)}`);
    t.same(e.issues.map((i) => i.name), [name]);
  }
});

t.test('a bad flag is named as the flag', async (t) => {
  t.equal(error(['--jt808-port', '70000'], {}).message, '--jt808-port: "70000" is not a port (1-65535)');
  t.equal(error(['--ack=fast'], { FLEETGATE_ACK: 'durable' }).message, '--ack: "fast" is not one of durable | received');
});

t.test('a flag without its value', async (t) => {
  t.equal(error(['--jt808-port'], {}).message, '--jt808-port: needs a value (1-65535)');
  t.equal(error(['--jt808-port', '--http-port', '1'], {}).message, '--jt808-port: needs a value (1-65535)');
});

t.test('stray arguments are refused without echoing them', async (t) => {
  const e = error(['--jt808-port', '7000', 's3cret'], {});
  t.equal(e.message, 'argument 3: unexpected (options are --name value or --name=value)');
  t.notMatch(e.message, /s3cret/);
  t.equal(error(['-p', '7000'], {}).issues.length, 2, '-p and 7000 are both stray');
});

t.test('every problem is reported at once, one line each', async (t) => {
  const e = error(['--http-port', 'x'], { FLEETGATE_JT808_PORT: '0', FLEETGATE_ACK: 'maybe', FLEETGATE_TYPO: '1' });
  t.equal(e.issues.length, 4);
  t.equal(e.message.split('\n').length, 4);
  t.equal(e.name, 'ConfigError');
});

t.test('secret values never appear in a message', async (t) => {
  const key = 'short:admin';
  for (const [value, rest] of [
    [key, 'entry 1 has a key that is not 16-256 of A-Z a-z 0-9 . _ ~ + / = -'],
    ['good-key-0123456789:writer', 'entry 1 is not key, key:read or key:admin'],
    ['good-key-0123456789,good-key-0123456789:admin', 'entry 2 repeats an earlier key'],
    ['good-key-0123456789:admin:x', 'entry 1 is not key, key:read or key:admin'],
    ['good-key-0123456789, bad key with spaces', 'entry 2 has a key that is not 16-256 of A-Z a-z 0-9 . _ ~ + / = -'],
  ]) {
    const e = error([], { FLEETGATE_API_KEYS: value });
    t.equal(e.message, `FLEETGATE_API_KEYS: ${rest} (value not shown: secret)`);
    for (const part of value.split(/[,:]/)) if (part.length > 6) t.notMatch(e.message, part);
  }
  const e = error(['--clickhouse-password=hunter2-secret'], { FLEETGATE_CLICKHOUSE_PASSWORD: 'other-secret' });
  t.notMatch(e.message, /hunter2|other-secret/);
});

t.test('checks across settings', async (t) => {
  t.equal(error([], { FLEETGATE_REGISTRATION: 'allowlist' }).message,
    'FLEETGATE_ALLOWLIST_FILE: must be set when FLEETGATE_REGISTRATION is allowlist');
  t.equal(error([], { FLEETGATE_ALLOWLIST_FILE: 'a.csv' }).message,
    'FLEETGATE_ALLOWLIST_FILE: is set but FLEETGATE_REGISTRATION is open (set it to allowlist, or unset the file)');
  t.equal(error([], { FLEETGATE_MAX_FRAME_BYTES: '64KiB', FLEETGATE_SUBPACKAGE_MAX_BYTES: '32KiB' }).message,
    'FLEETGATE_SUBPACKAGE_MAX_BYTES: 32768 is less than FLEETGATE_MAX_FRAME_BYTES (65536)');
  t.equal(error([], { FLEETGATE_CLICKHOUSE_CLUSTER: 'c1' }).message,
    'FLEETGATE_CLICKHOUSE_CLUSTER: needs FLEETGATE_CLICKHOUSE_URL (the embedded ClickHouse has no clusters)');
  const e = error([], { FLEETGATE_CLICKHOUSE_PASSWORD: 'pw-secret', FLEETGATE_CLICKHOUSE_USER: 'u' });
  t.same(e.issues.map((i) => i.name), ['FLEETGATE_CLICKHOUSE_USER', 'FLEETGATE_CLICKHOUSE_PASSWORD']);
  t.notMatch(e.message, /pw-secret/);
});

t.test('--help and -h throw HelpRequested carrying the help text, before any validation', async (t) => {
  for (const argv of [['--help'], ['-h'], ['--jt808-port', 'bad', '--help']]) {
    t.throws(() => loadConfig(argv, { FLEETGATE_TYPO: '1' }), HelpRequested);
  }
  try {
    loadConfig(['--help'], {});
  } catch (e) {
    t.match((e as Error).message, /^Usage: fleetgate/);
  }
});
