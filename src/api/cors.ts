/**
 * CORS by hand from FLEETGATE_CORS_ORIGINS (no dependency): empty = no CORS headers at all; `*` = any origin;
 * otherwise the request's Origin is echoed when listed (with `Vary: Origin`). Preflights (OPTIONS with
 * Access-Control-Request-Method) are answered 204 before authentication: browsers send them without keys.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const ALLOW_HEADERS = 'Authorization, Content-Type';
const EXPOSE_HEADERS = 'Content-Disposition, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id';

export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const any = origins.includes('*');
  const listed = new Set(origins);
  const allowOrigin = (req: FastifyRequest): string | undefined => {
    const origin = req.headers.origin;
    if (any) return '*';
    return origin !== undefined && listed.has(origin) ? origin : undefined;
  };
  const decorate = (req: FastifyRequest, reply: FastifyReply): boolean => {
    if (!any) reply.header('vary', 'Origin');
    const allowed = allowOrigin(req);
    if (allowed === undefined || req.headers.origin === undefined) return false;
    reply.header('access-control-allow-origin', allowed);
    reply.header('access-control-expose-headers', EXPOSE_HEADERS);
    return true;
  };
  app.addHook('onRequest', async (req, reply) => {
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    const ok = decorate(req, reply);
    if (!preflight) return;
    if (ok) {
      reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      reply.header('access-control-allow-headers', ALLOW_HEADERS);
      reply.header('access-control-max-age', '600');
    }
    return reply.code(204).send();
  });
}
