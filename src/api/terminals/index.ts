/** GET /terminals, GET /terminals/{id}, POST /terminals/provision (admin). */
import type { FastifyPluginAsync } from 'fastify';
import { normaliseTerminalIdInput } from '../../../protocols/jt808/bcd.js';
import type { ApiContext } from '../context.js';
import type { TerminalInfo } from '../directory.js';
import { terminalNotFound } from '../errors.js';
import { iso, isoS, terminalId } from '../params.js';
import { positionJson } from '../positions/index.js';
import { getSchema, listSchema, provisionSchema, type ListQuerystring } from './schema.js';

export const terminalsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  function view(t: TerminalInfo) {
    const s = ctx.sessions.get(t.id);
    const p = ctx.latest.get(t.id);
    const lastSeen = s ? iso(s.lastSeenMs) : p ? isoS(p.ts) : undefined;
    return {
      id: t.id, plate: t.plate, plateColor: t.plateColor, manufacturer: t.manufacturer, model: t.model, deviceId: t.deviceId,
      protocolVersion: t.protocolVersion ?? s?.layout, registered: t.registered, provisioned: t.provisioned,
      registeredAt: t.registeredAtMs === undefined ? undefined : iso(t.registeredAtMs),
      online: s !== undefined, authenticated: s?.authenticated, connectedSince: s ? iso(s.connectedSinceMs) : undefined,
      lastSeen, peer: s?.peer, latestPosition: p ? positionJson(p) : undefined,
    };
  }

  app.get<{ Querystring: ListQuerystring }>('/terminals', { schema: listSchema }, async (req) => {
    const q = req.query;
    const plate = q.plate?.toLowerCase();
    const all = ctx.terminals
      .list()
      .filter((t) => q.online === undefined || (ctx.sessions.get(t.id) !== undefined) === q.online)
      .filter((t) => plate === undefined || (t.plate ?? '').toLowerCase().includes(plate))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { total: all.length, offset: q.offset, limit: q.limit, terminals: all.slice(q.offset, q.offset + q.limit).map(view) };
  });

  app.get<{ Params: { id: string } }>('/terminals/:id', { schema: getSchema }, async (req) => {
    const id = terminalId(req.params.id);
    const t = ctx.terminals.get(id);
    if (t) return view(t);
    // Known from its data only (registered on another gateway, or before the registry was kept).
    const [p] = await ctx.latest.lookup(ctx.db, [id]);
    if (!p && !ctx.sessions.get(id)) throw terminalNotFound(id);
    return view({ id, registered: false, provisioned: false });
  });

  app.post<{ Body: { ids: string[] } }>('/terminals/provision', { schema: provisionSchema, config: { role: 'admin' } }, async (req) => {
    const ids = [...new Set(req.body.ids.map((s) => normaliseTerminalIdInput(s) as string))];
    await ctx.terminals.provision(ids);
    return { provisioned: ids.length, ids };
  });
};
