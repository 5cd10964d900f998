/**
 * The HTTP API (Fastify). Cross-cutting parts live here; each resource is its own plugin under
 * src/api/<resource>/. Operational routes: /health (process up), /ready (storage reachable and the
 * spool keeping up), /metrics (Prometheus text).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Per component: true when fine, or a sentence saying what is wrong. */
  checks: Record<string, true | string>;
}

export interface ApiDeps {
  log: Logger;
  registry: Registry;
  readiness(): Promise<Readiness>;
  /** Extra plugins (resources) to register under /api/v1. */
  resources?: Array<(app: FastifyInstance) => Promise<void>>;
  bodyLimit?: number;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: deps.bodyLimit ?? 1 << 20,
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    const r = await deps.readiness();
    reply.code(r.ready ? 200 : 503);
    return { status: r.ready ? 'ready' : 'not ready', checks: r.checks };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(deps.registry.contentType);
    return deps.registry.metrics();
  });

  for (const plugin of deps.resources ?? []) await app.register(plugin, { prefix: '/api/v1' });
  return app;
}
