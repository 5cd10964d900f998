import t from 'tap';
import { inspect } from 'node:util';
import { loadConfig, redactedConfig, REDACTED } from '../../src/config.js';

const env = {
  FLEETGATE_CLICKHOUSE_URL: 'https://gw:url-secret@ch.example:8443',
  FLEETGATE_CLICKHOUSE_USER: 'gw',
  FLEETGATE_CLICKHOUSE_PASSWORD: 'password-secret',
  FLEETGATE_API_KEYS: 'api-secret-0123456789:admin,api-secret-abcdefghij',
};
const SECRET = /secret/;

t.test('redactedConfig hides every secret and keeps the rest', async (t) => {
  const cfg = loadConfig([], env);
  const r = redactedConfig(cfg);
  t.notMatch(JSON.stringify(r), SECRET);
  t.equal(r.clickhousePassword, REDACTED);
  t.same(r.apiKeys, [{ key: REDACTED, role: 'admin' }, { key: REDACTED, role: 'read' }]);
  t.equal(r.clickhouseUrl, `https://gw:${encodeURIComponent(REDACTED)}@ch.example:8443/`);
  t.equal(r.clickhouseUser, 'gw');
  t.equal(r.jt808Port, 6808);
  t.same(Object.keys(r), Object.keys(cfg));
});

t.test('unset secrets stay unset, so the log shows what is configured', async (t) => {
  const r = redactedConfig(loadConfig([], {}));
  t.equal(r.clickhousePassword, undefined);
  t.same(r.apiKeys, []);
});

t.test('the Config itself redacts in JSON and in console.log, and still clones for workers', async (t) => {
  const cfg = loadConfig([], env);
  t.notMatch(JSON.stringify(cfg), SECRET);
  t.notMatch(JSON.stringify({ config: cfg }), SECRET);
  t.notMatch(inspect(cfg, { depth: 5 }), SECRET);
  t.equal(cfg.clickhousePassword, 'password-secret', 'the value is there for the code that needs it');
  const clone = structuredClone(cfg);
  t.equal(clone.clickhousePassword, 'password-secret');
  t.equal(clone.jt808Port, 6808);
});
