// Byte sizes, booleans and durations: the parsers most likely to surprise.
import t from 'tap';
import { loadConfig, parseByteSize } from '../../src/config.js';

t.test('byte sizes', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['8192', 8192],
    ['512B', 512],
    ['1kB', 1000],
    ['1KB', 1000],
    ['1KiB', 1024],
    ['512MiB', 512 * 2 ** 20],
    ['512mib', 512 * 2 ** 20],
    ['2GB', 2e9],
    ['2 GiB', 2 * 2 ** 30],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['1TiB', 2 ** 40],
    ['', undefined],
    ['GiB', undefined],
    ['-1', undefined],
    ['1 GiB extra', undefined],
    ['1K', undefined],
    ['1e9', undefined],
    ['0x100', undefined],
    ['99999999999TiB', undefined],
  ];
  for (const [raw, want] of cases) t.equal(parseByteSize(raw), want, JSON.stringify(raw));
  t.equal(loadConfig([], { FLEETGATE_SPOOL_MAX_BYTES: '2GB' }).spoolMaxBytes, 2e9);
});

t.test('booleans', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['true', true], ['TRUE', true], ['1', true], ['yes', true], ['Yes', true],
    ['false', false], ['False', false], ['0', false], ['no', false], ['NO', false],
  ];
  for (const [raw, want] of cases) t.equal(loadConfig([], { FLEETGATE_REQUIRE_AUTH: raw }).requireAuth, want, raw);
  for (const raw of ['on', 'off', 'y', 'n', '2', 'tru']) {
    t.throws(() => loadConfig([], { FLEETGATE_REQUIRE_AUTH: raw }), {
      message: `FLEETGATE_REQUIRE_AUTH: "${raw}" is not a boolean (true/false, 1/0, yes/no)`,
    });
  }
});

t.test('durations are in the unit the name says; a suffix converts', async (t) => {
  const at = (name: string, raw: string): unknown => {
    const cfg = loadConfig([], { [name]: raw }) as unknown as Record<string, unknown>;
    const key = { FLEETGATE_HEARTBEAT_S: 'heartbeatS', FLEETGATE_SPOOL_FSYNC_MS: 'spoolFsyncMs', FLEETGATE_RAW_RETENTION: 'rawRetention', FLEETGATE_BATCH_MS: 'batchMs' }[name];
    return cfg[key as string];
  };
  t.equal(at('FLEETGATE_HEARTBEAT_S', '90'), 90);
  t.equal(at('FLEETGATE_HEARTBEAT_S', '90s'), 90);
  t.equal(at('FLEETGATE_HEARTBEAT_S', '2m'), 120);
  t.equal(at('FLEETGATE_HEARTBEAT_S', '2min'), 120);
  t.equal(at('FLEETGATE_HEARTBEAT_S', '1h'), 3600);
  t.equal(at('FLEETGATE_HEARTBEAT_S', '5000ms'), 5);
  t.equal(at('FLEETGATE_SPOOL_FSYNC_MS', '0'), 0);
  t.equal(at('FLEETGATE_BATCH_MS', '2s'), 2000);
  t.equal(at('FLEETGATE_RAW_RETENTION', '30d'), 30);
  t.throws(() => at('FLEETGATE_HEARTBEAT_S', '1500ms'), { message: 'FLEETGATE_HEARTBEAT_S: "1500ms" is not a whole number of seconds' });
  t.throws(() => at('FLEETGATE_HEARTBEAT_S', '2h'), { message: 'FLEETGATE_HEARTBEAT_S: "2h" is out of range (1-3600 seconds)' });
  t.throws(() => at('FLEETGATE_HEARTBEAT_S', '1.5'), { message: /FLEETGATE_HEARTBEAT_S: "1.5" is not a duration/ });
  t.throws(() => at('FLEETGATE_RAW_RETENTION', '12h'), { message: 'FLEETGATE_RAW_RETENTION: "12h" is not a whole number of days' });
});
