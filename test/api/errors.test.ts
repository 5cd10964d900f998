/**
 * What the API refuses and how: a 400 that names the parameter and says why for every route; hostile strings
 * in every parameter (never a 500, never a change to the data); 404s; authentication on and off; the rate
 * limit; CORS; storage failures and bugs mapped to their codes; the error catalog equal to docs/API.md.
 */
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildApi } from '../../src/api/app.js';
import { ERRORS } from '../../src/api/errors.js';
import { QueryError, type Db } from '../../src/store/db.js';
import { addDays } from '../../src/store/timezone.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { A, B, loadScenario, UNKNOWN, type Scenario } from './helpers/scenario.js';

let h: Harness;
let sc: Scenario;

t.before(async () => {
  h = await startHarness({ database: 'errors' });
  sc = await loadScenario(h);
});
t.teardown(() => h?.close());

const READ = 'read-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';

function errorShape(t: Test, body: any, code: string): void {
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], 'the one error shape');
  t.equal(body.code, code);
  t.equal(body.statusCode, (ERRORS as Record<string, { statusCode: number }>)[code].statusCode);
}

t.test('bad parameters: 400 naming the parameter and why', async (t) => {
  const D = sc.D;
  const D1 = addDays(D, 1);
  const track = `/api/v1/terminals/${A}/track`;
  const cases: Array<[string, RegExp]> = [
    [`${track}?to=${D1}`, /^parameter from: is required$/],
    [`${track}?from=${D}`, /^parameter to: is required$/],
    [`${track}?from=yesterday&to=${D1}`, /^parameter from: must be an ISO 8601 time with a zone .* \(got "yesterday"\)$/],
    [`${track}?from=2026-07-01T08:00:00&to=${D1}`, /^parameter from: must be an ISO 8601 time with a zone/],
    [`${track}?from=2026-02-30&to=${D1}`, /^parameter from: must be an ISO 8601/],
    [`${track}?from=1751328000&to=${D1}`, /^parameter from: must be between 2000-01-01 and 2099-12-31 .*looks like seconds/],
    [`${track}?from=${D1}&to=${D}`, /^parameter to: must be after from \(from \S+Z, to \S+Z\)$/],
    [`${track}?from=${D}&to=${D}`, /^parameter to: must be after from/],
    [`${track}?from=${addDays(D, -40)}&to=${D}`, /^parameter to: the range is 40\.0 days; at most 31 days per request \(FLEETGATE_MAX_TRACK_DAYS\)$/],
    [`${track}?from=${D}&to=${D1}&format=xml`, /^parameter format: must be one of json, geojson, csv, protobuf \(got "xml"\)$/],
    [`${track}?from=${D}&to=${D1}&limit=0`, /^parameter limit: must be >= 1 \(got "0"\)$/],
    [`${track}?from=${D}&to=${D1}&limit=abc`, /^parameter limit: must be an integer \(got "abc"\)$/],
    [`${track}?from=${D}&to=${D1}&limit=2.5`, /^parameter limit: must be an integer/],
    [`${track}?from=${D}&to=${D1}&simplify=-1`, /^parameter simplify: must be >= 0/],
    [`${track}?from=${D}&from=${D}&to=${D1}`, /^parameter from: must be a string \(given more than once\)$/],
    [`${track}?from=${D}&to=${D1}&form=csv`, /^parameter form: unknown \(allowed: from, to, format, simplify, limit\)$/],
    [`/api/v1/terminals/12ab5/track?from=${D}&to=${D1}`, /^parameter id: must be a terminal id/],
    [`/api/v1/terminals/${'9'.repeat(21)}/track?from=${D}&to=${D1}`, /^parameter id: must be a terminal id/],
    [`/api/v1/terminals/${A}/mileage?from=${D}`, /^parameter to: is required: the first local day not included/],
    [`/api/v1/terminals/${A}/mileage?to=${D}`, /^parameter from: is required \(or give period/],
    [`/api/v1/terminals/${A}/mileage?from=${D1}T10:00:00Z&to=${D}`, /^parameter to: must be after from/],
    [`/api/v1/terminals/${A}/mileage?from=${D}&to=${D1}&period=2026-Q1`, /^parameter period: give either period or from and to, not both$/],
    [`/api/v1/terminals/${A}/mileage?period=2026-Q5`, /^parameter period: must be a year \(2026\), a quarter \(2026-Q3\) or a month \(2026-07\)/],
    [`/api/v1/terminals/${A}/mileage?period=2026-13`, /^parameter period: must be a year/],
    [`/api/v1/terminals/${A}/mileage?from=2024-01-01&to=2026-01-01`, /^parameter to: the range is 731 days; at most 366 per request$/],
    [`/api/v1/terminals/${A}/mileage?period=2026&interval=week`, /^parameter interval: must be one of day, total/],
    [`/api/v1/terminals/${A}/trips?from=${D}&to=${D1}&format=geojson`, /^parameter format: must be one of json, csv, protobuf/],
    [`/api/v1/terminals/${A}/trips?from=2024-01-01&to=2026-01-01`, /^parameter to: the range is 731\.0 days; at most 366 days per request$/],
    [`/api/v1/terminals/${A}/ignition-events?from=${D}`, /^parameter to: is required$/],
    ['/api/v1/positions/latest?bbox=1,2,3', /^parameter bbox: must be four numbers minLon,minLat,maxLon,maxLat/],
    ['/api/v1/positions/latest?bbox=106,30,105,31', /^parameter bbox: min must not exceed max/],
    ['/api/v1/positions/latest?bbox=190,30,191,31', /^parameter bbox: longitudes must be within ±180$/],
    [`/api/v1/positions/latest?ids=${A},x1`, /^parameter ids: entry 2 "x1" must be a terminal id/],
    ['/api/v1/positions/latest?ids=,', /^parameter ids: must list at least one terminal id$/],
    [`/api/v1/positions/latest?ids=${Array.from({ length: 1001 }, (_, i) => 1000 + i).join(',')}`, /^parameter ids: lists 1001 ids; at most 1000$/],
    ['/api/v1/positions/latest?since=soon', /^parameter since: must be an ISO 8601/],
    ['/api/v1/terminals?online=maybe', /^parameter online: must be a boolean \(true or false\) \(got "maybe"\)$/],
    ['/api/v1/terminals?limit=5000', /^parameter limit: must be <= 1000/],
    ['/api/v1/terminals?plate=', /^parameter plate: must not be empty$/],
    [`/api/v1/reports/fleet?from=${D}&to=${D1}&format=protobuf`, /^parameter format: must be one of json, csv/],
    ['/api/v1/reports/fleet', /^parameter from: is required \(or give period, e\.g\. 2026-Q3\)$/],
    ['/api/v1/reports/revisions', /^parameter since: is required$/],
    [`/api/v1/reports/revisions?since=${D1}&until=${D}`, /^parameter until: must be after since/],
    ['/api/v1/reports/revisions?since=2026-01-01&terminal=abc', /^parameter terminal: must be a terminal id/],
  ];
  for (const [url, message] of cases) {
    const r = await h.app.inject(url);
    t.equal(r.statusCode, 400, url);
    errorShape(t, r.json(), 'FG_ERR_BAD_PARAMETER');
    t.match(r.json().message, message, url);
  }
});

t.test('unknown terminals and routes: 404', async (t) => {
  const q = `from=${sc.D}&to=${addDays(sc.D, 1)}`;
  for (const path of [`terminals/${UNKNOWN}`, `terminals/${UNKNOWN}/track?${q}`, `terminals/${UNKNOWN}/trips?${q}`,
    `terminals/${UNKNOWN}/ignition-events?${q}`, `terminals/${UNKNOWN}/mileage?${q}`]) {
    const r = await h.app.inject(`/api/v1/${path}`);
    t.equal(r.statusCode, 404, path);
    errorShape(t, r.json(), 'FG_ERR_TERMINAL_NOT_FOUND');
    t.equal(r.json().message, `terminal ${UNKNOWN} is not registered and has never reported`);
  }
  const r = await h.app.inject('/api/v1/vehicles');
  errorShape(t, r.json(), 'FG_ERR_ROUTE_NOT_FOUND');
  t.equal(r.json().message, 'no route GET /api/v1/vehicles');
  const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/terminals/${A}` });
  t.equal(del.statusCode, 404);
});

t.test('hostile strings in every parameter are harmless', async (t) => {
  const before = await h.db.query<{ n: number }>(`SELECT toUInt32(count()) AS n FROM ${h.db.t('positions')}`);
  const tables = async () => (await h.db.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'errors' ORDER BY name`)).map((r) => r.name);
  const tablesBefore = await tables();
  const evil = [
    "' OR 1=1 --", "'; DROP TABLE errors.positions; --", '{terminal:String}', '1) UNION SELECT * FROM system.users --', '\\\'',
    '../../../../etc/passwd', '<script>alert(1)</script>', '${jndi:ldap://x/a}', '%00', '\u0000', '1e308', '-1', 'NaN',
    '2026-07-01T00:00:00Z\'', '13800138000 OR 1=1', '0x13800138000', '渝A12345', 'x'.repeat(2000),
  ];
  const D = sc.D;
  const D1 = addDays(D, 1);
  const routes: Array<{ path: (v: string) => string; params: Record<string, string> }> = [
    { path: () => '/api/v1/terminals', params: { online: 'true', plate: 'A', limit: '10', offset: '0' } },
    { path: (id) => `/api/v1/terminals/${id}`, params: {} },
    { path: (id) => `/api/v1/terminals/${id}/track`, params: { from: D, to: D1, format: 'json', simplify: '10', limit: '10' } },
    { path: (id) => `/api/v1/terminals/${id}/mileage`, params: { from: D, to: D1, interval: 'day' } },
    { path: (id) => `/api/v1/terminals/${id}/trips`, params: { from: D, to: D1, format: 'json' } },
    { path: (id) => `/api/v1/terminals/${id}/ignition-events`, params: { from: D, to: D1, format: 'json' } },
    { path: () => '/api/v1/positions/latest', params: { ids: A, bbox: '100,20,110,40', since: D, format: 'json' } },
    { path: () => '/api/v1/reports/fleet', params: { from: D, to: D1, format: 'json' } },
    { path: () => '/api/v1/reports/revisions', params: { since: D, until: D1, terminal: A, limit: '10' } },
  ];
  const app = await h.api({ apiRateLimit: 1_000_000 });
  let requests = 0;
  for (const route of routes) {
    const names = [...Object.keys(route.params), ...(route.path('ID').includes('ID') ? ['id'] : [])];
    for (const name of names) {
      for (const v of evil) {
        const params = { ...route.params, [name]: v };
        const path = name === 'id' ? route.path(encodeURIComponent(v)) : route.path(A);
        const url = `${path}?${new URLSearchParams(name === 'id' ? route.params : params)}`;
        const r = await app.inject(url);
        requests++;
        if (r.statusCode >= 500 || ![200, 400, 404].includes(r.statusCode)) t.fail(`${name}=${JSON.stringify(v).slice(0, 40)} on ${path.slice(0, 60)} → ${r.statusCode} ${r.body.slice(0, 200)}`);
        const named = r.statusCode !== 400 || r.json().message.includes(`parameter ${name}`) || (name === 'id' && r.json().message.startsWith('parameter in the path'));
        if (!named) t.fail(`the 400 does not name ${name}: ${r.json().message}`);
        if (r.statusCode === 404 && name !== 'id') t.fail(`404 for ${name}=${v}`);
        if (r.statusCode === 200 && !['plate'].includes(name) && !(name === 'terminal' && v === '0x13800138000')) {
          t.fail(`accepted ${name}=${JSON.stringify(v).slice(0, 40)} on ${path.slice(0, 60)}`);
        }
      }
    }
  }
  t.ok(requests > 500, `${requests} requests`);
  const after = await h.db.query<{ n: number }>(`SELECT toUInt32(count()) AS n FROM ${h.db.t('positions')}`);
  t.same(after, before, 'no row changed');
  t.same(await tables(), tablesBefore, 'no table changed');
  const plate = await h.app.inject(`/api/v1/terminals?plate=${encodeURIComponent("' OR 1=1 --")}`);
  t.equal(plate.json().total, 0, 'free text is only ever compared');
});

t.test('request bodies', async (t) => {
  const admin = await h.api({ apiKeys: [{ key: ADMIN, role: 'admin' }] });
  const post = (payload: string, type = 'application/json') =>
    admin.inject({ method: 'POST', url: '/api/v1/terminals/provision', payload, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type } });
  let r = await post('{"ids": [');
  errorShape(t, r.json(), 'FG_ERR_BAD_BODY');
  r = await post('{"ids": ["13800138099", "no"]}');
  errorShape(t, r.json(), 'FG_ERR_BAD_BODY');
  t.match(r.json().message, /^body field ids\[1\]: must be a terminal id/);
  r = await post('{"ids": []}');
  t.match(r.json().message, /^body field ids: must NOT have fewer than 1 items$/);
  r = await post('{"ids": ["1"], "extra": 1}');
  t.match(r.json().message, /^body field extra: unknown/);
  r = await post('<ids/>', 'application/xml');
  errorShape(t, r.json(), 'FG_ERR_UNSUPPORTED_MEDIA_TYPE');
  r = await post('ids=1', 'text/plain');
  errorShape(t, r.json(), 'FG_ERR_BAD_BODY');
  t.equal(r.json().message, 'body: must be a JSON object (got "ids=1")');
  r = await post(JSON.stringify({ ids: Array.from({ length: 100_000 }, (_, i) => String(13_000_000_000 + i)) }));
  errorShape(t, r.json(), 'FG_ERR_BODY_TOO_LARGE');
});

t.test('authentication off: reading is open, admin routes are not', async (t) => {
  t.equal((await h.app.inject(`/api/v1/terminals/${A}`)).statusCode, 200);
  const r = await h.app.inject({ method: 'POST', url: '/api/v1/terminals/provision', payload: { ids: ['13800138099'] } });
  t.equal(r.statusCode, 403);
  errorShape(t, r.json(), 'FG_ERR_FORBIDDEN');
  t.match(r.json().message, /FLEETGATE_API_KEYS/);
  t.notOk(h.directory.get('13800138099'));
});

t.test('authentication on: 401 without a key, 403 with the wrong scope', async (t) => {
  const app = await h.api({ apiKeys: [{ key: READ, role: 'read' }, { key: ADMIN, role: 'admin' }] });
  const url = `/api/v1/terminals/${A}/track?from=${sc.D}&to=${addDays(sc.D, 1)}`;
  for (const [authorization, why] of [[undefined, 'none'], ['Bearer wrong-key-0123456789abcdef', 'unknown'], [`Basic ${READ}`, 'not Bearer'], ['Bearer', 'empty']] as const) {
    const r = await app.inject({ url, headers: authorization ? { authorization } : {} });
    t.equal(r.statusCode, 401, why);
    errorShape(t, r.json(), 'FG_ERR_UNAUTHORIZED');
    t.equal(r.headers['www-authenticate'], 'Bearer realm="fleetgate"');
  }
  const ok = await app.inject({ url, headers: { authorization: `Bearer ${READ}` } });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().id, A);
  t.equal((await app.inject({ url, headers: { authorization: `bearer ${ADMIN}` } })).statusCode, 200, 'an admin key reads too');

  const provision = (key: string) =>
    app.inject({ method: 'POST', url: '/api/v1/terminals/provision', payload: { ids: ['013800138099', '13800138099'] }, headers: { authorization: `Bearer ${key}` } });
  const denied = await provision(READ);
  t.equal(denied.statusCode, 403);
  errorShape(t, denied.json(), 'FG_ERR_FORBIDDEN');
  t.equal(denied.json().message, 'this route needs a key with the admin scope; this key has read');
  const done = await provision(ADMIN);
  t.same(done.json(), { provisioned: 1, ids: ['13800138099'] });
  t.equal(h.directory.get('13800138099')?.provisioned, true);

  for (const open of ['/health', '/ready', '/metrics', '/docs/json']) t.equal((await app.inject(open)).statusCode, 200, `${open} needs no key`);
  const spec = (await app.inject('/docs/json')).json();
  t.same(spec.components.securitySchemes, { bearer: { type: 'http', scheme: 'bearer' } });
  t.same(spec.paths['/api/v1/terminals/{id}/track'].get.security, [{ bearer: [] }]);
});

t.test('rate limit per key', async (t) => {
  const app = await h.api({ apiRateLimit: 3, apiKeys: [{ key: READ, role: 'read' }, { key: ADMIN, role: 'admin' }] });
  const get = (key: string) => app.inject({ url: `/api/v1/terminals/${A}`, headers: { authorization: `Bearer ${key}` } });
  for (let i = 0; i < 3; i++) t.equal((await get(READ)).statusCode, 200);
  const r = await get(READ);
  t.equal(r.statusCode, 429);
  errorShape(t, r.json(), 'FG_ERR_RATE_LIMITED');
  t.match(r.json().message, /^more than 3 requests per minute for this key; retry in \d+ (seconds|minute)/);
  t.ok(Number(r.headers['retry-after']) > 0, 'Retry-After');
  t.equal((await get(ADMIN)).statusCode, 200, 'another key has its own budget');
  t.equal((await app.inject('/health')).statusCode, 200, 'operational routes are not limited');
});

t.test('CORS: off by default, listed origins, preflight without a key', async (t) => {
  const url = `/api/v1/terminals/${A}`;
  const off = await h.app.inject({ url, headers: { origin: 'https://app.example' } });
  t.notOk(off.headers['access-control-allow-origin'], 'off: no CORS headers');
  t.equal((await h.app.inject({ method: 'OPTIONS', url, headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } })).statusCode, 404);

  const app = await h.api({ corsOrigins: ['https://app.example'], apiKeys: [{ key: READ, role: 'read' }] });
  const pre = await app.inject({ method: 'OPTIONS', url, headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
  t.equal(pre.statusCode, 204, 'preflight answered without a key');
  t.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  t.match(pre.headers['access-control-allow-headers'], /Authorization/);
  t.match(pre.headers['access-control-allow-methods'], /GET/);
  const get = await app.inject({ url, headers: { origin: 'https://app.example', authorization: `Bearer ${READ}` } });
  t.equal(get.headers['access-control-allow-origin'], 'https://app.example');
  t.equal(get.headers.vary, 'Origin');
  t.match(get.headers['access-control-expose-headers'], /Content-Disposition/);
  const other = await app.inject({ url, headers: { origin: 'https://evil.example', authorization: `Bearer ${READ}` } });
  t.notOk(other.headers['access-control-allow-origin'], 'an unlisted origin gets nothing');
  const err = await app.inject({ url, headers: { origin: 'https://app.example' } });
  t.equal(err.statusCode, 401);
  t.equal(err.headers['access-control-allow-origin'], 'https://app.example', 'errors are readable cross-origin too');

  const any = await h.api({ corsOrigins: ['*'] });
  t.equal((await any.inject({ url, headers: { origin: 'https://x.example' } })).headers['access-control-allow-origin'], '*');
});

t.test('storage failures are 503, bugs are 500, details stay in the log', async (t) => {
  const fail = async () => {
    throw new QueryError('SELECT secret_column FROM positions', new Error('Connection refused 10.1.2.3:8123'));
  };
  const broken = { ...h.db, info: h.db.info, t: (n: string) => h.db.t(n), query: fail, queryBytes: fail, client: { query: fail } } as unknown as Db;
  const logged: string[] = [];
  const log = pino({ level: 'error' }, { write: (s: string) => logged.push(s) });
  const app = await buildApi({
    log, registry: new Registry(), readiness: async () => ({ ready: false, checks: { storage: 'down' } }),
    data: { db: broken, rollup: null, latest: h.latest, terminals: h.directory, sessions: h.sessions },
    resources: [async (api) => {
      api.get('/boom', async () => {
        throw new Error('secret stack detail');
      });
    }],
  });
  t.teardown(() => app.close());
  for (const url of [`/api/v1/terminals/${B}/track?from=${sc.D}&to=${addDays(sc.D, 1)}`, `/api/v1/reports/fleet?period=2026`, `/api/v1/terminals/${B}/trips?from=${sc.D}&to=${addDays(sc.D, 1)}`]) {
    const r = await app.inject(url);
    t.equal(r.statusCode, 503, url);
    errorShape(t, r.json(), 'FG_ERR_STORAGE_UNAVAILABLE');
    t.notMatch(r.body, /10\.1\.2\.3|secret_column/, 'no internals in the answer');
  }
  const boom = await app.inject('/api/v1/boom');
  t.equal(boom.statusCode, 500);
  errorShape(t, boom.json(), 'FG_ERR_INTERNAL');
  t.notMatch(boom.body, /secret/);
  t.ok(boom.headers['x-request-id']);
  t.ok(logged.some((l) => l.includes('secret stack detail')), 'the cause is logged');
  t.equal((await app.inject('/ready')).statusCode, 503);
});

t.test('the error catalog and the docs table agree', async (t) => {
  const doc = readFileSync('docs/API.md', 'utf8');
  const rows = [...doc.matchAll(/^\| `(FG_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  t.same(rows, Object.entries(ERRORS).map(([code, e]) => [code, e.statusCode]), 'same codes, same order, same statuses');
});
