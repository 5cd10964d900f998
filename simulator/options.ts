/**
 * Command-line flags of `fleetgate-sim run` and `fleetgate-sim verify`: one table per subcommand
 * gives name, default, help text and validation, so `--help` and the checks cannot drift apart.
 * Every bad flag is reported (all of them, with the value given), not just the first.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { parseLocalDate } from './geo.js';
import { seedFromText } from './rng.js';
import type { RunOptions } from './run.js';

type Kind = 'string' | 'boolean';

interface Flag {
  name: string;
  kind: Kind;
  arg?: string;
  def?: string;
  help: string;
  group: string;
}

const RUN_FLAGS: Flag[] = [
  { group: 'Target', name: 'host', kind: 'string', arg: 'HOST', def: '127.0.0.1', help: 'gateway host (loopback only unless --allow-remote)' },
  { group: 'Target', name: 'port', kind: 'string', arg: 'PORT', def: '6808', help: 'gateway JT808 port' },
  { group: 'Target', name: 'allow-remote', kind: 'boolean', help: 'allow a non-loopback target (never point a load test at someone else\'s gateway)' },
  { group: 'Target', name: 'source-ips', kind: 'string', arg: 'LIST', help: 'bind local addresses round-robin, e.g. 127.0.0.2-127.0.0.50 or a,b,c (more than one address\'s ~28k ephemeral ports)' },
  { group: 'Target', name: 'ramp', kind: 'string', arg: 'N', def: '1000', help: 'new connections per second (0 = all at once)' },
  { group: 'Load', name: 'terminals', kind: 'string', arg: 'N', def: '100', help: 'number of simulated terminals' },
  { group: 'Load', name: 'rate', kind: 'string', arg: 'R', def: '1', help: 'location reports per terminal per second (fractional), or "max" to keep --window in flight' },
  { group: 'Load', name: 'interval', kind: 'string', arg: 'S', help: 'seconds between reports per terminal (instead of --rate)' },
  { group: 'Load', name: 'duration', kind: 'string', arg: 'S', def: '60', help: 'seconds of reporting, then a drain (see --drain)' },
  { group: 'Load', name: 'window', kind: 'string', arg: 'N', def: '1', help: 'messages in flight per terminal (unanswered)' },
  { group: 'Load', name: 'protocol', kind: 'string', arg: 'V', def: 'mix', help: '2013, 2019 or mix (even terminals 2013, odd 2019)' },
  { group: 'Load', name: 'heartbeat', kind: 'string', arg: 'S', def: '30', help: 'send 0x0002 after S seconds without sending anything (0 = never)' },
  { group: 'Load', name: 'timeout', kind: 'string', arg: 'S', def: '30', help: 'answer timeout; unanswered positions go back to the blind-area buffer' },
  { group: 'Load', name: 'connect-timeout', kind: 'string', arg: 'S', def: '10', help: 'TCP connect timeout' },
  { group: 'Load', name: 'drain', kind: 'string', arg: 'S', def: '10', help: 'after --duration: seconds to wait for answers and flush backlogs' },
  { group: 'Load', name: 'tick', kind: 'string', arg: 'MS', def: '5', help: 'timer-wheel tick (scheduling granularity)' },
  { group: 'Fleet', name: 'seed', kind: 'string', arg: 'SEED', def: '1', help: 'seed of the fleet model (same seed and flags → same fleet and positions)' },
  { group: 'Fleet', name: 'first-id', kind: 'string', arg: 'ID', def: '13900000000', help: 'terminal id (phone) of the first terminal; the others count up' },
  { group: 'Fleet', name: 'center', kind: 'string', arg: 'LAT,LON', def: '29.56,106.55', help: 'city centre (default Chongqing)' },
  { group: 'Fleet', name: 'radius', kind: 'string', arg: 'KM', def: '25', help: 'vehicles stay within about this distance of the centre' },
  { group: 'Fleet', name: 'days', kind: 'string', arg: 'N', def: '1', help: 'simulated days compressed into the run' },
  { group: 'Fleet', name: 'start-date', kind: 'string', arg: 'YYYY-MM-DD', help: 'first simulated local day (default: so that the simulated days end yesterday; 90 days back with --rate max)' },
  { group: 'Fleet', name: 'moving-interval', kind: 'string', arg: 'S', help: 'device-time seconds between reports while ACC is on (default: fit --days into the run)' },
  { group: 'Fleet', name: 'parked-interval', kind: 'string', arg: 'S', help: 'device-time seconds between reports while parked (default 30 × moving)' },
  { group: 'Fleet', name: 'batch-size', kind: 'string', arg: 'N', def: '20', help: 'positions per 0x0704 backlog message (≤ 22 fit one frame; 60 with --subpackage)' },
  { group: 'Fleet', name: 'backlog-max', kind: 'string', arg: 'N', def: '10000', help: 'blind-area buffer per terminal; older positions are dropped beyond it' },
  { group: 'Faults', name: 'backfill', kind: 'string', arg: 'SHARE', help: 'share of terminals that go offline once and come back with 0x0704 type 1 backlogs' },
  { group: 'Faults', name: 'offline-time', kind: 'string', arg: 'S', help: 'length of each offline episode (default a fifth of --duration)' },
  { group: 'Faults', name: 'split', kind: 'string', arg: 'P', help: 'probability that a write is cut across two writes (often between 0x7d and its 01/02)' },
  { group: 'Faults', name: 'sticky', kind: 'string', arg: 'P', help: 'probability that a write is held and sent with the next (several frames per write)' },
  { group: 'Faults', name: 'subpackage', kind: 'string', arg: 'P', help: 'probability that a report is sent subpackaged (2 fragments); backlogs become 60-position subpackaged 0x0704' },
  { group: 'Faults', name: 'fragment-loss', kind: 'string', arg: 'P', help: 'probability that a fragment is held back until the gateway asks for it (0x8003)' },
  { group: 'Faults', name: 'duplicates', kind: 'string', arg: 'P', help: 'probability that a report is sent twice with the same serial' },
  { group: 'Faults', name: 'bad-frames', kind: 'string', arg: 'P', help: 'probability that an undecodable frame (short, bad escape) precedes a message' },
  { group: 'Faults', name: 'reconnect-storm', kind: 'string', arg: 'S', help: 'drop every connection once (at --storm-at) and reconnect all within S seconds' },
  { group: 'Faults', name: 'storm-at', kind: 'string', arg: 'S', help: 'when the storm hits, seconds into the run (default: half of --duration)' },
  { group: 'Faults', name: 'clock-skew', kind: 'string', arg: 'S', help: 'some terminals\' clocks are off by up to ±S seconds' },
  { group: 'Faults', name: 'clock-skew-share', kind: 'string', arg: 'SHARE', def: '0.1', help: 'share of terminals with a skewed clock' },
  { group: 'Faults', name: 'odometer-reset', kind: 'string', arg: 'SHARE', help: 'share of terminals whose odometer resets to 0 once (before a trip)' },
  { group: 'API', name: 'api', kind: 'string', arg: 'URL', help: 'the gateway\'s query API, e.g. http://127.0.0.1:8080: print links to the simulated data at the end' },
  { group: 'API', name: 'api-key', kind: 'string', arg: 'KEY', help: 'API key for --verify (default: $FLEETGATE_API_KEY)' },
  { group: 'API', name: 'verify', kind: 'boolean', help: 'after the run, check the API against the truth (needs --api and --truth; exit 1 when it differs)' },
  { group: 'API', name: 'verify-delay', kind: 'string', arg: 'S', def: '5', help: 'seconds to let storage catch up before --verify' },
  { group: 'Output', name: 'report-json', kind: 'string', arg: 'FILE', help: 'write the final JSON report here' },
  { group: 'Output', name: 'truth', kind: 'string', arg: 'FILE', help: 'write the ground truth (JSON Lines) here, for `verify`' },
  { group: 'Output', name: 'progress', kind: 'string', arg: 'MODE', def: 'auto', help: 'auto, tty (one refreshed line), lines (plain lines), off' },
  { group: 'Output', name: 'progress-interval', kind: 'string', arg: 'S', def: '5', help: 'seconds between plain progress lines' },
  { group: 'Output', name: 'json', kind: 'boolean', help: 'print the JSON report on stdout instead of the summary' },
  { group: 'Output', name: 'help', kind: 'boolean', help: 'show this help' },
];

const VERIFY_FLAGS: Flag[] = [
  { group: 'Input', name: 'truth', kind: 'string', arg: 'FILE', help: 'ground truth written by `run --truth` (required)' },
  { group: 'Input', name: 'api', kind: 'string', arg: 'URL', help: 'API base URL, e.g. http://127.0.0.1:8080 (required; /api/v1 is appended)' },
  { group: 'Input', name: 'api-key', kind: 'string', arg: 'KEY', help: 'sent as "Authorization: Bearer KEY" (default: $FLEETGATE_API_KEY)' },
  { group: 'Input', name: 'allow-remote', kind: 'boolean', help: 'allow a non-loopback API' },
  { group: 'Checks', name: 'tolerance', kind: 'string', arg: 'PCT', def: '1', help: 'allowed mileage difference, percent of the true km' },
  { group: 'Checks', name: 'min-tolerance-km', kind: 'string', arg: 'KM', def: '0.1', help: 'allowed mileage difference at least this (the odometer field\'s resolution)' },
  { group: 'Checks', name: 'concurrency', kind: 'string', arg: 'N', def: '8', help: 'terminals checked in parallel' },
  { group: 'Checks', name: 'request-timeout', kind: 'string', arg: 'S', def: '30', help: 'per HTTP request' },
  { group: 'Output', name: 'report-json', kind: 'string', arg: 'FILE', help: 'write the full diff as JSON here' },
  { group: 'Output', name: 'verbose', kind: 'boolean', help: 'print every terminal, not only those that differ' },
  { group: 'Output', name: 'help', kind: 'boolean', help: 'show this help' },
];

function helpText(usage: string, intro: string, flags: Flag[], outro: string): string {
  const lines = [usage, '', intro, ''];
  let group = '';
  const width = Math.max(...flags.map((f) => f.name.length + (f.arg ? f.arg.length + 1 : 0))) + 4;
  for (const f of flags) {
    if (f.group !== group) {
      if (group !== '') lines.push('');
      group = f.group;
      lines.push(`${group}:`);
    }
    const left = `  --${f.name}${f.arg ? ` ${f.arg}` : ''}`;
    lines.push(`${left.padEnd(width + 2)}${f.help}${f.def !== undefined ? ` [${f.def}]` : ''}`);
  }
  lines.push('', outro, '');
  return lines.join('\n');
}

export const RUN_HELP = helpText(
  'Usage: fleetgate-sim [run] [options]',
  'Plays a fleet of JT/T 808 terminals against a gateway: register (code kept across reconnects), authenticate,\n' +
    'heartbeat and report a plausible official-vehicle day (trips with ACC on/off around the city centre, odometer\n' +
    'and fuel following the distance), with faults on demand. Shows live progress, prints a summary, and can write\n' +
    'a JSON report and the ground truth for `fleetgate-sim verify`. Probabilities P and shares are between 0 and 1.',
  RUN_FLAGS,
  'Examples:\n' +
    '  fleetgate-sim --terminals 200 --rate 1 --duration 60 --truth truth.jsonl\n' +
    '  fleetgate-sim --terminals 10000 --rate 5 --duration 120 --window 4 --report-json load.json\n' +
    '  fleetgate-sim --terminals 500 --rate 2 --split 0.2 --sticky 0.2 --duplicates 0.01 --bad-frames 0.01 --backfill 0.2\n' +
    '  fleetgate-sim --terminals 40000 --source-ips 127.0.0.2-127.0.0.9 --ramp 5000 --reconnect-storm 60\n' +
    '  fleetgate-sim --terminals 200 --truth truth.jsonl --api http://127.0.0.1:8080 --verify\n' +
    '  fleetgate-sim verify --truth truth.jsonl --api http://127.0.0.1:8080\n\n' +
    'Many terminals: each connection is a file descriptor (`ulimit -n`), and one source address has ~28,000\n' +
    'ephemeral ports towards one gateway port: use --source-ips beyond that.\n\n' +
    'Exit status: 0 ok; 1 when a position was sent but never answered, no terminal authenticated, or --verify\n' +
    'found a difference; 2 usage error.',
);

export const VERIFY_HELP = helpText(
  'Usage: fleetgate-sim verify --truth FILE --api URL [options]',
  'Compares what the API returns (tracks, trips, mileage, ignition events; routes of /api/v1) with the ground\n' +
    'truth of a run, prints a per-terminal and total diff, and fails on: an answered position missing or\n' +
    'duplicated, a stored position that differs from what was sent, a different number of finished trips, a\n' +
    'day\'s mileage off by more than the tolerance, or an API error. Ignition-event differences are reported.',
  VERIFY_FLAGS,
  'Exit status: 0 the API matches the truth; 1 it does not (or a request failed); 2 usage error.',
);

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] } | { ok: true; help: true };

function parse(argv: string[], flags: Flag[]): { values: Record<string, string | boolean | undefined>; errors: string[] } {
  const options: Record<string, { type: Kind }> = {};
  for (const f of flags) options[f.name] = { type: f.kind };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    const errors = positionals.length > 0 ? [`unexpected argument "${positionals[0]}"`] : [];
    const out: Record<string, string | boolean | undefined> = {};
    for (const f of flags) out[f.name] = (values[f.name] as string | boolean | undefined) ?? f.def;
    return { values: out, errors };
  } catch (err) {
    return { values: {}, errors: [(err as Error).message.replace(/\. To specify.*$/s, '')] };
  }
}

/** Collects numeric-flag errors with the flag name and the value given. */
class Checker {
  readonly errors: string[] = [];
  constructor(private readonly v: Record<string, string | boolean | undefined>) {}

  has(name: string): boolean {
    return this.v[name] !== undefined;
  }

  str(name: string): string | undefined {
    const x = this.v[name];
    return typeof x === 'string' ? x : undefined;
  }

  num(name: string, lo: number, hi: number, opts: { integer?: boolean; fallback?: number; exclusiveLow?: boolean } = {}): number {
    const text = this.str(name);
    if (text === undefined) return opts.fallback ?? 0;
    const x = Number(text);
    const low = opts.exclusiveLow ? x <= lo : x < lo;
    if (text.trim() === '' || !Number.isFinite(x) || low || x > hi || (opts.integer && !Number.isInteger(x))) {
      const kind = opts.integer ? 'an integer' : 'a number';
      const range = opts.exclusiveLow ? `> ${lo}${hi < Infinity ? ` and ≤ ${hi}` : ''}` : `${lo}..${hi === Infinity ? '∞' : hi}`;
      this.errors.push(`--${name} must be ${kind} in ${range} (got "${text}")`);
      return opts.fallback ?? lo;
    }
    return x;
  }

  share(name: string): number {
    return this.num(name, 0, 1);
  }
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "127.0.0.2-127.0.0.50", "127.0.0.2-50" or "a,b,c" (ranges may be mixed in the list). */
export function parseSourceIps(text: string): string[] | string {
  const out: string[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\d.]+)-([\d.]+)$/.exec(part);
    if (m) {
      const from = m[1];
      const to = m[2].includes('.') ? m[2] : from.replace(/\d+$/, m[2]);
      if (isIP(from) !== 4 || isIP(to) !== 4) return `"${part}" is not an IPv4 range`;
      const a = ipv4ToInt(from);
      const b = ipv4ToInt(to);
      if (b < a) return `"${part}": the range ends before it starts`;
      if (b - a >= 65536) return `"${part}": more than 65,536 addresses`;
      for (let x = a; x <= b; x++) out.push(intToIpv4(x));
    } else if (isIP(part) !== 0) {
      out.push(part);
    } else {
      return `"${part}" is not an IP address or range`;
    }
  }
  return out.length > 0 ? out : 'no address given';
}

export function isLoopbackAddress(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  const low = ip.toLowerCase();
  return low === '::1' || low === '0:0:0:0:0:0:0:1' || low.startsWith('::ffff:127.');
}

/** True when every address the host name resolves to is a loopback address. */
export async function resolvesToLoopback(host: string): Promise<boolean> {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h) !== 0) return isLoopbackAddress(h);
  if (h === 'localhost') return true;
  try {
    const addrs = await lookup(h, { all: true });
    return addrs.length > 0 && addrs.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}

/** Run flags that are about the CLI's own output and follow-up, not the simulation. */
export interface RunCliOptions {
  json: boolean;
  api?: string;
  apiKey?: string;
  verify: boolean;
  verifyDelayS: number;
}

function checkApiUrl(c: Checker, api: string | undefined): URL | undefined {
  if (api === undefined) return undefined;
  try {
    const url = new URL(api);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  c.errors.push(`--api must be an http(s) URL (got "${api}")`);
  return undefined;
}

export async function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Parsed<RunOptions & RunCliOptions>> {
  const { values, errors } = parse(argv, RUN_FLAGS);
  if (errors.length > 0) return { ok: false, errors };
  if (values.help === true) return { ok: true, help: true };
  const c = new Checker(values);
  const durationS = c.num('duration', 0, 7 * 86_400, { exclusiveLow: true });
  let rate: number | 'max' = 1;
  if (c.has('interval') && argv.some((a) => a === '--rate' || a.startsWith('--rate='))) c.errors.push('give --rate or --interval, not both');
  if (c.has('interval')) rate = 1 / c.num('interval', 0, 86_400, { exclusiveLow: true, fallback: 1 });
  else if (c.str('rate') === 'max') rate = 'max';
  else rate = c.num('rate', 0, 10_000, { exclusiveLow: true, fallback: 1 });
  const window = c.num('window', 1, 1024, { integer: true, fallback: 1 });
  const terminals = c.num('terminals', 1, 1_000_000, { integer: true, fallback: 1 });
  const protocol = c.str('protocol') as RunOptions['protocol'];
  if (!['2013', '2019', 'mix'].includes(protocol)) c.errors.push(`--protocol must be 2013, 2019 or mix (got "${protocol}")`);
  const firstId = c.num('first-id', 1, 999_999_999_999, { integer: true, fallback: 1 });
  if (firstId + terminals - 1 > 999_999_999_999) c.errors.push(`--first-id ${firstId} + ${terminals} terminals exceeds 12 digits (the 2013 phone field)`);
  const center = (c.str('center') ?? '').split(',').map(Number);
  if (center.length !== 2 || !center.every(Number.isFinite) || Math.abs(center[0]) > 85 || Math.abs(center[1]) > 180) {
    c.errors.push(`--center must be LAT,LON in degrees (got "${c.str('center')}")`);
  }
  const startDate = c.str('start-date');
  if (startDate !== undefined && parseLocalDate(startDate) === undefined) c.errors.push(`--start-date must be a date YYYY-MM-DD (got "${startDate}")`);
  const progress = c.str('progress') as RunOptions['progress'];
  if (!['auto', 'tty', 'lines', 'off'].includes(progress)) c.errors.push(`--progress must be auto, tty, lines or off (got "${progress}")`);
  let sourceIps: string[] = [];
  const ipsText = c.str('source-ips');
  if (ipsText !== undefined) {
    const r = parseSourceIps(ipsText);
    if (typeof r === 'string') c.errors.push(`--source-ips: ${r}`);
    else sourceIps = r;
  }
  const host = c.str('host') ?? '127.0.0.1';
  const allowRemote = values['allow-remote'] === true;
  if (!allowRemote) {
    if (!(await resolvesToLoopback(host))) c.errors.push(`--host ${host} is not a loopback address: load tests target loopback only unless --allow-remote is given`);
    const remoteSource = sourceIps.find((ip) => !isLoopbackAddress(ip));
    if (remoteSource) c.errors.push(`--source-ips ${remoteSource} is not a loopback address (add --allow-remote)`);
  }
  const stormS = c.num('reconnect-storm', 0, 86_400);
  const apiText = c.str('api');
  const apiUrl = checkApiUrl(c, apiText);
  if (apiUrl && !allowRemote && !(await resolvesToLoopback(apiUrl.hostname))) c.errors.push(`--api ${apiUrl.hostname} is not a loopback address (add --allow-remote)`);
  const verify = values.verify === true;
  if (verify && (apiText === undefined || !c.has('truth'))) c.errors.push('--verify needs --api and --truth');
  const apiKey = c.str('api-key') ?? env.FLEETGATE_API_KEY;
  const opts: RunOptions & RunCliOptions = {
    host,
    port: c.num('port', 1, 65535, { integer: true, fallback: 6808 }),
    terminals,
    rate,
    durationS,
    window,
    protocol,
    seed: seedFromText(c.str('seed') ?? '1'),
    sourceIps,
    ramp: c.num('ramp', 0, 1_000_000),
    heartbeatS: c.num('heartbeat', 0, 86_400),
    timeoutS: c.num('timeout', 0, 3600, { exclusiveLow: true, fallback: 30 }),
    connectTimeoutS: c.num('connect-timeout', 0, 600, { exclusiveLow: true, fallback: 10 }),
    drainS: c.num('drain', 0, 3600),
    days: c.num('days', 1, 366, { integer: true, fallback: 1 }),
    ...(startDate !== undefined ? { startDate } : {}),
    ...(c.has('moving-interval') ? { movingIntervalS: c.num('moving-interval', 1, 3600, { integer: true }) } : {}),
    ...(c.has('parked-interval') ? { parkedIntervalS: c.num('parked-interval', 1, 86_400, { integer: true }) } : {}),
    centerLat: center[0],
    centerLon: center[1],
    radiusKm: c.num('radius', 0.5, 500, { fallback: 25 }),
    firstId,
    batchItems: c.num('batch-size', 1, 1000, { integer: true, fallback: 20 }),
    backlogMax: c.num('backlog-max', 1, 10_000_000, { integer: true, fallback: 10000 }),
    tickMs: c.num('tick', 1, 1000, { fallback: 5 }),
    faults: {
      backfill: c.share('backfill'),
      offlineS: c.num('offline-time', 0, 86_400),
      split: c.share('split'),
      sticky: c.share('sticky'),
      subpackage: c.share('subpackage'),
      fragmentLoss: c.share('fragment-loss'),
      duplicates: c.share('duplicates'),
      badFrames: c.share('bad-frames'),
      reconnectStormS: stormS,
      stormAtS: c.has('storm-at') ? c.num('storm-at', 0, durationS) : durationS / 2,
      clockSkewS: c.num('clock-skew', 0, 86_400 * 30, { integer: true }),
      clockSkewFraction: c.share('clock-skew-share'),
      odometerReset: c.share('odometer-reset'),
    },
    ...(c.has('report-json') ? { reportJson: c.str('report-json') } : {}),
    ...(c.has('truth') ? { truth: c.str('truth') } : {}),
    progress,
    progressIntervalS: c.num('progress-interval', 0.1, 3600, { fallback: 5 }),
    json: values.json === true,
    ...(apiText !== undefined ? { api: apiText.replace(/\/+$/, '') } : {}),
    ...(apiKey ? { apiKey } : {}),
    verify,
    verifyDelayS: c.num('verify-delay', 0, 3600, { fallback: 5 }),
  };
  if (opts.faults.backfill > 0 && rate === 'max') c.errors.push('--backfill needs a report rate (positions pile up while offline): not with --rate max');
  if (opts.faults.fragmentLoss > 0 && opts.faults.subpackage === 0) c.errors.push('--fragment-loss needs --subpackage');
  if (c.has('storm-at') && stormS === 0) c.errors.push('--storm-at needs --reconnect-storm');
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, value: opts };
}

export interface VerifyOptions {
  truth: string;
  api: string;
  apiKey?: string;
  tolerancePct: number;
  minToleranceKm: number;
  concurrency: number;
  requestTimeoutS: number;
  reportJson?: string;
  verbose: boolean;
}

export async function parseVerifyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Parsed<VerifyOptions>> {
  const { values, errors } = parse(argv, VERIFY_FLAGS);
  if (errors.length > 0) return { ok: false, errors };
  if (values.help === true) return { ok: true, help: true };
  const c = new Checker(values);
  const truth = c.str('truth');
  if (truth === undefined) c.errors.push('--truth FILE is required');
  const api = c.str('api');
  let url: URL | undefined;
  if (api === undefined) c.errors.push('--api URL is required');
  else {
    try {
      url = new URL(api);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      c.errors.push(`--api must be an http(s) URL (got "${api}")`);
    }
  }
  if (url && values['allow-remote'] !== true && !(await resolvesToLoopback(url.hostname))) {
    c.errors.push(`--api ${url.hostname} is not a loopback address (add --allow-remote)`);
  }
  const apiKey = c.str('api-key') ?? env.FLEETGATE_API_KEY;
  const opts: VerifyOptions = {
    truth: truth ?? '',
    api: (api ?? '').replace(/\/+$/, ''),
    ...(apiKey ? { apiKey } : {}),
    tolerancePct: c.num('tolerance', 0, 100, { fallback: 1 }),
    minToleranceKm: c.num('min-tolerance-km', 0, 1000, { fallback: 0.1 }),
    concurrency: c.num('concurrency', 1, 256, { integer: true, fallback: 8 }),
    requestTimeoutS: c.num('request-timeout', 0, 3600, { exclusiveLow: true, fallback: 30 }),
    ...(c.has('report-json') ? { reportJson: c.str('report-json') } : {}),
    verbose: values.verbose === true,
  };
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, value: opts };
}
