/**
 * Bearer keys (FLEETGATE_API_KEYS). Installed as a hook on the /api/v1 scope only, so /health, /ready,
 * /metrics and /docs stay open. Keys are compared by SHA-256 digest: the lookup time says nothing about how
 * much of a guess was right. A route needing more than `read` says so in `config.role`. Without keys, read
 * routes are open and admin routes are refused.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

export type Role = 'read' | 'admin';

export interface KeyEntry {
  readonly key: string;
  readonly role: Role;
}

/** Who made the request: a key's short id (its digest prefix, safe to log and to rate-limit by). */
export interface Caller {
  keyId: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** Scope a key needs for this route (default read). */
    role?: Role;
  }
}

const digest = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

const RANK: Record<Role, number> = { read: 1, admin: 2 };

export function installAuth(scope: FastifyInstance, keys: readonly KeyEntry[]): void {
  if (keys.length === 0) {
    // No keys: reading is open; changing (admin routes) is never open to anyone who can reach the port.
    scope.addHook('onRequest', async (req: FastifyRequest) => {
      if (req.routeOptions.config.role === 'admin') {
        throw new ApiError('FG_ERR_FORBIDDEN', 'admin routes need FLEETGATE_API_KEYS with a key:admin entry');
      }
    });
    return;
  }
  const byDigest = new Map(keys.map((k) => [digest(k.key), k.role]));
  const challenge = { 'www-authenticate': 'Bearer realm="fleetgate"' };
  scope.addHook('onRequest', async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    if (header === undefined) throw new ApiError('FG_ERR_UNAUTHORIZED', 'this API needs Authorization: Bearer <key>', challenge);
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError('FG_ERR_UNAUTHORIZED', 'the Authorization header must be Bearer <key>', challenge);
    const d = digest(m[1]);
    const role = byDigest.get(d);
    if (role === undefined) throw new ApiError('FG_ERR_UNAUTHORIZED', 'unknown API key', challenge);
    req.caller = { keyId: d.slice(0, 12), role };
    const need = req.routeOptions.config.role ?? 'read';
    if (RANK[role] < RANK[need]) throw new ApiError('FG_ERR_FORBIDDEN', `this route needs a key with the ${need} scope; this key has ${role}`);
  });
}
