/** GET /terminals/{id}/ignition-events */
import type { FastifyPluginAsync } from 'fastify';
import { ignitionEvents } from '../../store/queries/ignition.js';
import type { ApiContext } from '../context.js';
import { attachment, csvLine, CSV_TYPE } from '../output.js';
import { iso, isoS, terminalId, timeRange } from '../params.js';
import { encodeProto, PROTOBUF_TYPE } from '../proto.js';
import { assertKnown } from '../terminal-check.js';
import { ignitionSchema, type IgnitionQuerystring } from './schema.js';

const MAX_DAYS = 366;

export const ignitionPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Params: { id: string }; Querystring: IgnitionQuerystring }>('/terminals/:id/ignition-events', { schema: ignitionSchema }, async (req, reply) => {
    const id = terminalId(req.params.id);
    const r = timeRange(req.query, ctx.zone, MAX_DAYS);
    const events = await ignitionEvents(ctx.db, id, r.from, r.to);
    if (events.length === 0) await assertKnown(ctx, id);
    if (req.query.format === 'csv') {
      attachment(reply, `ignition-${id}-${r.from}-${r.to}.csv`);
      const lines = events.map((e) => csvLine([isoS(e.ts), e.on ? 'on' : 'off', e.latE6 / 1e6, e.lonE6 / 1e6]));
      return reply.type(CSV_TYPE).send(csvLine(['time', 'type', 'lat', 'lon']) + lines.join(''));
    }
    if (req.query.format === 'protobuf') {
      const body = encodeProto('IgnitionEvents', {
        terminal: id, fromMs: r.fromMs, toMs: r.toMs,
        events: events.map((e) => ({ timeMs: e.ts * 1000, on: e.on === 1, latE6: e.latE6, lonE6: e.lonE6 })),
      });
      return reply.type(PROTOBUF_TYPE).send(body);
    }
    return {
      id, from: iso(r.fromMs), to: iso(r.toMs), count: events.length,
      events: events.map((e) => ({ time: isoS(e.ts), type: e.on ? 'on' : 'off', lat: e.latE6 / 1e6, lon: e.lonE6 / 1e6 })),
    };
  });
};
