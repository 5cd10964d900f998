/**
 * The HTTP API (Fastify). Cross-cutting parts live here — error shape, CORS, OpenAPI, metrics — and the
 * /api/v1 scope, where authentication and the per-key rate limit apply to every resource plugin registered
 * inside it (encapsulation: nothing leaks to the operational routes). Operational routes: /health (process
 * up), /ready (storage reachable and the spool keeping up), /metrics (Prometheus text), /docs (Swagger UI),
 * /docs/json (OpenAPI).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { Histogram, Registry } from 'prom-client';
import type { WorkingWindow } from '../config/kinds.js';
import { Zone } from '../store/timezone.js';
import { installAuth, type KeyEntry } from './auth.js';
import type { ApiContext, ApiData } from './context.js';
import { installCors } from './cors.js';
import { ApiError } from './errors.js';
import { installErrorHandling } from './error-handler.js';
import { ignitionPlugin } from './ignition/index.js';
import { mileagePlugin } from './mileage/index.js';
import { packageRoot } from './package-root.js';
import { FORMATS } from './params.js';
import { positionsPlugin } from './positions/index.js';
import { reportsPlugin } from './reports/index.js';
import { addSharedSchemas } from './schemas.js';
import { terminalsPlugin } from './terminals/index.js';
import { TerminalSchema } from './terminals/schema.js';
import { tracksPlugin } from './tracks/index.js';
import { tripsPlugin } from './trips/index.js';

export interface Readiness {
  ready: boolean;
  /** Per component: true when fine, or a sentence saying what is wrong. */
  checks: Record<string, true | string>;
}

export interface ApiOptions {
  /** FLEETGATE_API_KEYS; empty = no authentication. */
  apiKeys: readonly KeyEntry[];
  /** Requests per minute per key (per address without keys). */
  apiRateLimit: number;
  maxTrackDays: number;
  corsOrigins: readonly string[];
  timezone: string;
  workingHours: readonly WorkingWindow[];
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  apiKeys: [],
  apiRateLimit: 600,
  maxTrackDays: 31,
  corsOrigins: [],
  timezone: 'Asia/Shanghai',
  workingHours: [1, 2, 3, 4, 5].map((day) => ({ day, startMin: 480, endMin: 1080 })),
};

export interface ApiDeps {
  log: Logger;
  registry: Registry;
  readiness(): Promise<Readiness>;
  /** The query API's data sources; without them only the operational routes (and `resources`) are served. */
  data?: ApiData;
  options?: Partial<ApiOptions>;
  /** HTTP latency by route pattern and status (fleetgate_api_request_duration_seconds). */
  requestSeconds?: Histogram<'route' | 'status'>;
  /** Extra plugins (resources) to register under /api/v1, inside authentication. */
  resources?: Array<(app: FastifyInstance) => Promise<void>>;
  bodyLimit?: number;
}

/** The resource plugins, in the order they appear in the docs. */
const RESOURCES: ReadonlyArray<FastifyPluginAsync<ApiContext>> = [
  terminalsPlugin, tracksPlugin, mileagePlugin, tripsPlugin, ignitionPlugin, positionsPlugin, reportsPlugin,
];

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const o: ApiOptions = { ...DEFAULT_API_OPTIONS, ...deps.options };
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    // Per-request log lines off: latency goes to the histogram, failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 1 << 20,
    // Long enough that an over-long id reaches its schema (a 400 that says why).
    routerOptions: { maxParamLength: 500 },
    // Errors the router raises before any route runs get the one error shape too.
    frameworkErrors: (err, _req, reply) => {
      const why = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'parameter in the path: longer than 500 characters' : 'the URL is not valid (bad percent-encoding)';
      const e = new ApiError('FG_ERR_BAD_PARAMETER', why);
      void (reply as FastifyReply).code(e.statusCode).send(e.body());
    },
    ajv: {
      customOptions: {
        formats: FORMATS,
        // An unknown parameter (a typo such as `form=csv`) is refused, not silently dropped.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
      },
    },
  });

  installErrorHandling(app);
  installCors(app, o.corsOrigins);
  addSharedSchemas(app);
  app.addSchema(TerminalSchema);

  if (deps.requestSeconds) {
    const hist = deps.requestSeconds;
    app.addHook('onResponse', async (req, reply) => {
      const url = req.routeOptions.url;
      hist.observe({ route: url === undefined ? 'unmatched' : `${req.method} ${url}`, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fleetgate API',
        version: packageRoot().version,
        description: 'Tracks, mileage, trips, ignition events, latest positions and fleet reports. Errors: docs/API.md.',
      },
      components: o.apiKeys.length ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
    },
    // Components keep the names given with addSchema (Error, Trip…) instead of def-N.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const hidden = { schema: { hide: true } };
  app.get('/health', hidden, async () => ({ status: 'ok' }));
  app.get('/ready', hidden, async (_req, reply) => {
    const r = await deps.readiness();
    reply.code(r.ready ? 200 : 503);
    return { status: r.ready ? 'ready' : 'not ready', checks: r.checks };
  });
  app.get('/metrics', hidden, async (_req, reply) => {
    reply.type(deps.registry.contentType);
    return deps.registry.metrics();
  });

  await app.register(
    async (api) => {
      installAuth(api, o.apiKeys);
      await api.register(rateLimit, {
        max: o.apiRateLimit,
        timeWindow: 60_000,
        keyGenerator: (req) => req.caller?.keyId ?? req.ip,
        errorResponseBuilder: (_req, c) =>
          new ApiError('FG_ERR_RATE_LIMITED', `more than ${c.max} requests per minute${o.apiKeys.length ? ' for this key' : ' from this address'}; retry in ${c.after}`),
      });
      if (o.apiKeys.length) {
        // Before the routes: onRoute sees only routes added after it.
        api.addHook('onRoute', (route) => {
          route.schema = { ...route.schema, security: [{ bearer: [] }] };
        });
      }
      // Answers depend on the key and on data that changes: no shared caches.
      api.addHook('onSend', async (_req, reply) => {
        reply.header('cache-control', 'no-store');
      });
      if (deps.data) {
        const settings = { maxTrackDays: o.maxTrackDays, timezone: o.timezone, workingHours: o.workingHours };
        const ctx: ApiContext = { ...deps.data, settings, zone: new Zone(o.timezone) };
        for (const plugin of RESOURCES) await api.register(plugin, ctx);
      }
      for (const plugin of deps.resources ?? []) await api.register(plugin);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
