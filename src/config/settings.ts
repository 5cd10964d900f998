// The one table of settings. Loading, --help, the README table and redaction are all generated from it: adding a
// setting is adding one line here. The environment variable and the flag are derived from the key
// (jt808Port → FLEETGATE_JT808_PORT, --jt808-port), so they cannot drift apart.
import { availableParallelism } from 'node:os';
import { issue, type ConfigIssue } from './errors.js';
import {
  apiKeys, bool, bytes, duration, host, httpUrl, identifier, int, oneOf, origins, parseWorkingHours, path, port, text,
  timeZone, workingHours, type Kind, type WorkingWindow,
} from './kinds.js';

export interface Setting<T> {
  readonly kind: Kind<T>;
  /** `undefined` only for optional settings, whose type then includes `undefined`. */
  readonly default: T;
  readonly doc: string;
  /** Never printed: not in errors, not in redactedConfig, not in --help. */
  readonly secret: boolean;
  readonly group: string;
}

type Opts = { readonly secret?: boolean };

function setting<T>(kind: Kind<T>, def: NoInfer<T>, doc: string, opts: Opts = {}): Setting<T> {
  return { kind, default: def, doc, secret: opts.secret ?? false, group: '' };
}

function optional<T>(kind: Kind<T>, doc: string, opts: Opts = {}): Setting<T | undefined> {
  return { kind: kind as Kind<T | undefined>, default: undefined, doc, secret: opts.secret ?? false, group: '' };
}

/** Stamps a heading on a run of settings, for --help and the README; the spread keeps the table's order. */
function group<S extends Record<string, Setting<unknown>>>(name: string, s: S): S {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { ...v, group: name }])) as S;
}

const words = (key: string): string[] => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(' ');

export const ENV_PREFIX = 'FLEETGATE_';
export const envName = (key: string): string => ENV_PREFIX + words(key).join('_').toUpperCase();
export const flagName = (key: string): string => `--${words(key).join('-')}`;

const cores = availableParallelism();

const DEFAULT_WORKING_HOURS = ((): readonly WorkingWindow[] => {
  const r = parseWorkingHours('Mon-Fri 08:00-18:00');
  if (!r.ok) throw new Error(r.problem);
  return r.value;
})();

export const settings = {
  ...group('Network', {
    host: setting(host(), '0.0.0.0', 'Address the terminal (TCP) and HTTP servers listen on.'),
    jt808Port: setting(port(), 6808, 'TCP port for JT/T 808 terminals.'),
    httpPort: setting(port(), 8080, 'HTTP port for the API and /metrics.'),
    maxConnections: setting(int(1, 1_000_000), 19000, 'Terminal connections held at once; more are refused.'),
    connRatePerIp: setting(int(0, 1_000_000), 200,
      'New terminal connections accepted per second per IP address (0 = no limit, e.g. for a simulator on one host).'),
    heapTrimChurn: setting(int(0, 10_000_000), 1000,
      'After this many connections opened or closed in one burst, and 10 s of calm with at most 1 frame/s per connection, collect the burst\'s garbage at once (one pause, ~0.1 s at 19,000 connections) rather than in ~100 s; also once at start-up. 0 = off.'),
  }),
  ...group('Terminals', {
    registration: setting(oneOf(['open', 'allowlist']), 'open',
      'Who may register (0x0100): anyone, or only terminals listed in FLEETGATE_ALLOWLIST_FILE.'),
    allowlistFile: optional(path(), 'CSV of terminals allowed to register; required when FLEETGATE_REGISTRATION=allowlist.'),
    requireAuth: setting(bool(), true, 'Answer only registration and authentication (0x0100, 0x0102) until a terminal has authenticated.'),
    authTimeoutS: setting(duration('s', 1, 3600), 30, 'Seconds a new connection has to authenticate before it is closed.'),
    heartbeatS: setting(duration('s', 1, 3600), 60, "Seconds between the terminals' heartbeats (as configured on them)."),
    idleFactor: setting(int(1, 100), 3, 'Close a connection silent for this many heartbeat intervals.'),
    utcOffsetMin: setting(int(-720, 840), 480, "Terminals' clock offset from UTC in minutes (JT/T 808 says GMT+8: 480)."),
  }),
  ...group('Protocol', {
    ack: setting(oneOf(['durable', 'received']), 'durable',
      'Answer a message once it is on disk in the spool (durable), or as soon as it is read (received: faster, may lose answered data on a crash).'),
    checksum: setting(oneOf(['strict', 'lenient']), 'strict',
      'Drop frames with a bad checksum (strict), or count them and accept them (lenient, for terminals that get it wrong).'),
    maxFrameBytes: setting(bytes(64, 65536), 8192, 'Largest frame accepted, escaped; a longer one is dropped, counted, and the stream resyncs at the next 0x7e.'),
    subpackageTimeoutS: setting(duration('s', 1, 3600), 30, 'Seconds to wait for the missing parts of a subpackaged message.'),
    subpackageMaxBytes: setting(bytes(1024, 256 * 2 ** 20), 2 ** 20, 'Bytes of subpackage parts held per connection while reassembling.'),
  }),
  ...group('Spool', {
    dataDir: setting(path(), './data', 'Directory for the spool and the embedded ClickHouse (`clickhouse/`, plus `insert-files/`: each batch\'s positions while they are inserted).'),
    spoolMaxBytes: setting(bytes(16 * 2 ** 20), 2 ** 30,
      'Spool size past which the gateway stops reading sockets until the sink catches up.'),
    spoolFsyncMs: setting(duration('ms', 0, 1000), 2,
      'Milliseconds to gather appends into one fsync (0 = fsync as soon as the previous one ends).'),
    rawRetention: setting(duration('d', 0, 3650), 0, 'Days to keep raw frames after they are stored (0 = delete once consumed).'),
    decodeThreads: setting(int(0, cores, 'cores'), 1, 'Decode worker threads (0 = decode on the main thread).'),
  }),
  ...group('ClickHouse', {
    clickhouseUrl: optional(httpUrl(), 'ClickHouse server URL; unset = embedded ClickHouse (chdb) in FLEETGATE_DATA_DIR.'),
    clickhouseUser: optional(text(), 'ClickHouse user (server only).'),
    clickhousePassword: optional(text(), 'ClickHouse password (server only). Prefer the environment: flags show in ps.', { secret: true }),
    clickhouseDatabase: setting(identifier(), 'fleetgate', 'ClickHouse database.'),
    clickhouseCluster: optional(identifier(), 'Cluster name for ON CLUSTER DDL and Distributed tables (server only).'),
    // A cap, not the usual cut: batches go by time (batchMs). Bigger parts mean less merge work for the engine: 10k → 100k
    // rows halved it (bench/RESULTS.md finding 1); 100k → 300k (one second's rows at 250,000 msg/s) cut the × 8 ingest
    // CPU ratio from 2.50 to 2.32 (bench/RESULTS.md, "Ingest and connections: profiles and findings").
    batchRows: setting(int(1, 1_000_000), 300000, 'Rows per insert: a batch is sent when it reaches this size …'),
    batchMs: setting(duration('ms', 1, 60_000), 1000, '… or this many milliseconds after its first row.'),
    // 30,000 vehicles × 1 day (11.7 M rows) take +1.0–1.6 GB in one pass (bench/RESULTS.md "Store"); buckets split it.
    rollupBuckets: setting(int(1, 64), 1, 'Passes of the daily rollup over a day, each over 1/N of the terminals: more bound its memory on big fleets.'),
  }),
  ...group('API', {
    timezone: setting(timeZone(), 'Asia/Shanghai', 'Time zone of calendar boundaries (days, quarters) in reports.'),
    apiKeys: setting(apiKeys(), [], 'API keys as key[:read|:admin], comma-separated (no role = read). Prefer the environment: flags show in ps.', { secret: true }),
    apiRateLimit: setting(int(1, 1_000_000), 600, 'API requests per minute per key.'),
    maxTrackDays: setting(int(1, 366), 31, 'Longest time window of one track query, in days.'),
    corsOrigins: setting(origins(), [], 'Origins allowed by CORS, comma-separated, or *; empty = CORS off.'),
    workingHours: setting(workingHours(), DEFAULT_WORKING_HOURS,
      'Working hours in FLEETGATE_TIMEZONE, for the fleet report: a trip not wholly inside one window counts as outside working hours.'),
  }),
  ...group('Logging', {
    logLevel: setting(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', 'Log level.'),
  }),
};

export type Settings = typeof settings;
export type SettingKey = keyof Settings;

/** Every setting, typed from the table. */
export type Config = { readonly [K in SettingKey]: Settings[K] extends Setting<infer T> ? T : never };

/** Checks across settings, run once every setting has parsed. Named by environment variable. */
export const crossChecks: ReadonlyArray<(c: Config) => ConfigIssue | undefined> = [
  (c) => (c.registration === 'allowlist' && c.allowlistFile === undefined
    ? issue('FLEETGATE_ALLOWLIST_FILE', 'must be set when FLEETGATE_REGISTRATION is allowlist')
    : undefined),
  // A file given without allowlist mode would be silently ignored: most likely a forgotten second setting.
  (c) => (c.registration === 'open' && c.allowlistFile !== undefined
    ? issue('FLEETGATE_ALLOWLIST_FILE', 'is set but FLEETGATE_REGISTRATION is open (set it to allowlist, or unset the file)')
    : undefined),
  (c) => (c.subpackageMaxBytes < c.maxFrameBytes
    ? issue('FLEETGATE_SUBPACKAGE_MAX_BYTES', `${c.subpackageMaxBytes} is less than FLEETGATE_MAX_FRAME_BYTES (${c.maxFrameBytes})`)
    : undefined),
  // The embedded engine has no users and no clusters: these would be silently ignored.
  ...(['clickhouseUser', 'clickhousePassword', 'clickhouseCluster'] as const).map((k) => (c: Config) =>
    (c[k] !== undefined && c.clickhouseUrl === undefined
      ? issue(envName(k), `needs FLEETGATE_CLICKHOUSE_URL (the embedded ClickHouse has no ${k === 'clickhouseCluster' ? 'clusters' : 'users'})`)
      : undefined)),
];

export const settingKeys = Object.keys(settings) as SettingKey[];
