// Typos are errors, with a suggestion when a known name is close.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';

function messages(argv: string[], env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => i.message);
    throw e;
  }
  return [];
}

t.test('unknown environment variables', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['FLEETGATE_JT808_PROT', 'FLEETGATE_JT808_PORT'],
    ['FLEETGATE_JT808PORT', 'FLEETGATE_JT808_PORT'],
    ['FLEETGATE_HEARTBEAT', 'FLEETGATE_HEARTBEAT_S'],
    ['FLEETGATE_HEARTBEAT_SEC', 'FLEETGATE_HEARTBEAT_S'],
    ['FLEETGATE_CLICKHOUSE_PASS', 'FLEETGATE_CLICKHOUSE_PASSWORD'],
    ['FLEETGATE_LOGLEVEL', 'FLEETGATE_LOG_LEVEL'],
    ['FLEETGATE_TIME_ZONE', 'FLEETGATE_TIMEZONE'],
    ['FLEETGATE_API_KEY', 'FLEETGATE_API_KEYS'],
    ['FLEETGATE_CORS', 'FLEETGATE_CORS_ORIGINS'],
    ['FLEETGATE_SOMETHING_ELSE', undefined],
    ['FLEETGATE_', undefined],
  ];
  for (const [name, hint] of cases) {
    t.same(messages([], { [name]: '1' }), [
      `${name}: unknown environment variable${hint ? `; did you mean ${hint}?` : ''}`,
    ], name);
  }
});

t.test('unknown flags', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['--jt808-prot', '--jt808-port'],
    ['--jt808_port', '--jt808-port'],
    ['--JT808-PORT', '--jt808-port'],
    ['--FLEETGATE_JT808_PORT', '--jt808-port'],
    ['--port', undefined],
    ['--heartbeat', '--heartbeat-s'],
    ['--requre-auth', '--require-auth'],
    ['--verbose', undefined],
  ];
  for (const [flag, hint] of cases) {
    t.same(messages([flag, '1'], {}), [`${flag}: unknown flag${hint ? `; did you mean ${hint}?` : ''}`], flag);
  }
});

t.test('--no- only for boolean flags', async (t) => {
  t.same(messages(['--no-ack'], {}), ['--no-ack: only boolean flags take --no-; use --ack <durable | received>']);
  t.same(messages(['--no-require-auth=1'], {}), ['--no-require-auth: takes no value; use --require-auth=<true | false>']);
});

t.test('an unknown flag never echoes its value (it may be a secret)', async (t) => {
  for (const argv of [['--clickhouse-pasword=hunter2'], ['--clickhouse-pasword', 'hunter2']]) {
    const m = messages(argv, {});
    t.same(m, ['--clickhouse-pasword: unknown flag; did you mean --clickhouse-password?']);
  }
});
