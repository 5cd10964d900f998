import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger, outputFor, prettyAvailable, REDACT_PATHS } from '../src/log.js';
import { loadConfig } from '../src/config.js';

/** A destination that keeps the lines, parsed. */
function sink(): { lines: Array<Record<string, any>>; stream: Writable } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

t.test('JSON lines at the configured level', async (t) => {
  const { lines, stream } = sink();
  const log = createLogger({ logLevel: 'warn' }, { destination: stream });
  log.info('dropped');
  log.warn({ phone: '013800138000' }, 'kept');
  t.equal(lines.length, 1);
  t.equal(lines[0].msg, 'kept');
  t.equal(lines[0].level, 40);
  t.equal(lines[0].phone, '013800138000');
  t.match(lines[0].time, /^\d{4}-\d\d-\d\dT/, 'ISO time');
});

t.test('child loggers carry their bindings', async (t) => {
  const { lines, stream } = sink();
  const log = createLogger({ logLevel: 'info' }, { destination: stream }).child({ conn: 7, peer: '10.0.0.1:5000' });
  log.info('hello');
  t.match(lines[0], { conn: 7, peer: '10.0.0.1:5000', msg: 'hello' });
});

t.test('secrets are redacted at the top level and one object down', async (t) => {
  const { lines, stream } = sink();
  const log = createLogger({ logLevel: 'info' }, { destination: stream });
  log.info({
    authCode: 'auth-secret',
    terminal: { authCode: 'auth-secret', phone: '1' },
    password: 'pw-secret',
    apiKey: 'key-secret',
    req: { method: 'GET', headers: { authorization: 'Bearer tok-secret', 'x-api-key': 'key-secret', cookie: 'c-secret', host: 'h' } },
    headers: { authorization: 'Basic b-secret' },
  }, 'credentials');
  const line = JSON.stringify(lines[0]);
  t.notMatch(line, /secret/);
  t.equal(lines[0].terminal.phone, '1');
  t.equal(lines[0].req.headers.host, 'h');
  t.equal(lines[0].req.headers.authorization, '[redacted]');
  t.ok(REDACT_PATHS.includes('*.authCode'));
});

t.test('a Config logged whole shows no secrets', async (t) => {
  const { lines, stream } = sink();
  const log = createLogger({ logLevel: 'info' }, { destination: stream });
  const cfg = loadConfig([], {
    FLEETGATE_CLICKHOUSE_URL: 'http://ch:8123',
    FLEETGATE_CLICKHOUSE_PASSWORD: 'pw-secret',
    FLEETGATE_API_KEYS: 'key-secret-0123456789',
  });
  log.info({ config: cfg }, 'starting');
  log.info(cfg, 'merged into the line');
  t.notMatch(JSON.stringify(lines), /secret/);
  t.equal(lines[0].config.jt808Port, 6808);
  t.equal(lines[1].jt808Port, 6808);
});

t.test('without pino-pretty, a TTY still gets JSON (no new dependency)', async (t) => {
  t.equal(prettyAvailable(), false, 'pino-pretty is not installed here');
  t.equal(outputFor(true), 'json');
  t.equal(outputFor(false), 'json');
  const log = createLogger({ logLevel: 'silent' }, { isTTY: true });
  t.equal(log.level, 'silent', 'builds on stdout');
});
