/** GET /positions/latest */
import type { FastifyPluginAsync } from 'fastify';
import type { LatestPosition } from '../../store/queries/latest.js';
import type { ApiContext } from '../context.js';
import { GEOJSON_TYPE } from '../output.js';
import { bbox as parseBbox, idList, instantMs, isoS } from '../params.js';
import { encodeProto, PROTOBUF_TYPE } from '../proto.js';
import { latestSchema, MAX_IDS, type LatestQuerystring } from './schema.js';

/**
 * How far back the ClickHouse seed reads when memory is empty (start.ts seeds the same 7 days at start-up).
 * The read is an argMax over every position in the window, so it stays short; a terminal silent for longer
 * is still found when asked for by id.
 */
const WARM_DAYS = 7;

export function positionJson(p: LatestPosition) {
  return {
    id: p.terminal, time: isoS(p.ts), lat: p.latE6 / 1e6, lon: p.lonE6 / 1e6, speedKmh: p.speed / 10, direction: p.direction,
    acc: (p.status & 1) === 1, alarm: p.alarm, status: p.status, ...(p.odometer > 0 ? { mileageKm: p.odometer / 10 } : {}),
  };
}

export const positionsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Querystring: LatestQuerystring }>('/positions/latest', { schema: latestSchema }, async (req, reply) => {
    const q = req.query;
    const ids = q.ids === undefined ? undefined : idList('ids', q.ids, MAX_IDS);
    const box = q.bbox === undefined ? undefined : parseBbox(q.bbox);
    const since = q.since === undefined ? undefined : Math.ceil(instantMs('since', q.since, ctx.zone) / 1000);
    let list: LatestPosition[];
    if (ids) list = await ctx.latest.lookup(ctx.db, ids);
    else {
      await ctx.latest.warm(ctx.db, Math.floor(Date.now() / 1000) - WARM_DAYS * 86_400);
      list = ctx.latest.all();
    }
    const out = list
      .filter((p) => since === undefined || p.ts >= since)
      .filter((p) => !box || (p.lonE6 >= box.minLon * 1e6 && p.lonE6 <= box.maxLon * 1e6 && p.latE6 >= box.minLat * 1e6 && p.latE6 <= box.maxLat * 1e6))
      .sort((a, b) => (a.terminal < b.terminal ? -1 : a.terminal > b.terminal ? 1 : 0));
    if (q.format === 'protobuf') {
      const positions = out.map((p) => ({
        terminal: p.terminal, timeMs: p.ts * 1000, latE6: p.latE6, lonE6: p.lonE6, speedDkmh: p.speed, direction: p.direction,
        alarm: p.alarm, status: p.status, odometerHm: p.odometer, acc: (p.status & 1) === 1,
      }));
      return reply.type(PROTOBUF_TYPE).send(encodeProto('Positions', { positions }));
    }
    if (q.format === 'geojson') {
      const features = out.map((p) => {
        const { lat, lon, ...properties } = positionJson(p);
        return { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties };
      });
      return reply.type(GEOJSON_TYPE).send(JSON.stringify({ type: 'FeatureCollection', features }));
    }
    return { count: out.length, positions: out.map(positionJson) };
  });
};
