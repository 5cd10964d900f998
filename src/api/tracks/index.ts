/** GET /terminals/{id}/track */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { trackPoints, type TrackColumns } from '../../store/queries/track-points.js';
import type { ApiContext } from '../context.js';
import { attachment, CSV_TYPE, GEOJSON_TYPE, JSON_TYPE } from '../output.js';
import { terminalId, timeRange } from '../params.js';
import { PROTOBUF_TYPE } from '../proto.js';
import { assertKnown } from '../terminal-check.js';
import type { TrackBody } from './cache.js';
import { trackCsv, trackGeoJson, trackJson, trackProtobuf, type TrackHead } from './format.js';
import { trackSchema, type TrackQuerystring } from './schema.js';
import { douglasPeucker, pick } from './simplify.js';

const TYPES: Record<TrackQuerystring['format'], string> = {
  json: JSON_TYPE, geojson: GEOJSON_TYPE, csv: CSV_TYPE, protobuf: PROTOBUF_TYPE,
};

function render(format: TrackQuerystring['format'], head: TrackHead, points: TrackColumns): string | Buffer | Readable {
  switch (format) {
    case 'geojson':
      return trackGeoJson(head, points);
    case 'csv':
      return trackCsv(points);
    case 'protobuf':
      return trackProtobuf(head, points);
    default:
      return trackJson(head, points);
  }
}

export const tracksPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const cache = ctx.trackCache;

  /** Points from the cache or ClickHouse; `limit + 1` are read to tell whether the result was cut. */
  async function load(id: string, key: string, generation: number | undefined, q: { from: number; to: number; limit: number; thin: boolean }): Promise<TrackColumns> {
    const hit = cache?.get(key, id);
    if (hit) return hit;
    const c = await trackPoints(ctx.db, { terminal: id, from: q.from, to: q.to, limit: q.limit + 1, thin: q.thin });
    cache?.set(key, id, generation, c);
    return c;
  }

  function send(reply: FastifyReply, id: string, range: { from: number; to: number }, format: TrackQuerystring['format'], b: { truncated: boolean; body: string | Buffer | Readable }) {
    if (b.truncated) reply.header('x-fleetgate-truncated', 'true');
    if (format === 'csv') attachment(reply, `track-${id}-${range.from}-${range.to}.csv`);
    return reply.type(TYPES[format]).send(b.body);
  }

  app.get<{ Params: { id: string }; Querystring: TrackQuerystring }>('/terminals/:id/track', { schema: trackSchema }, async (req, reply) => {
    const id = terminalId(req.params.id);
    const q = req.query;
    const range = timeRange(q, ctx.zone, ctx.settings.maxTrackDays, 'FLEETGATE_MAX_TRACK_DAYS');
    const simplify = q.simplify ?? 0;
    // The generation is read before ClickHouse is: a commit during the query makes what is stored stale at once.
    const generation = cache?.generation(id);
    const pointsKey = `${id}|${range.from}|${range.to}|${q.limit}|${simplify > 0 ? 1 : 0}`;
    const bodyKey = `${pointsKey}|${q.format}|${simplify}|${range.fromMs}|${range.toMs}`;
    const done = cache?.getBody(bodyKey, id);
    if (done) return send(reply, id, range, q.format, { truncated: done.truncated, body: done.bytes });

    let points = await load(id, pointsKey, generation, { from: range.from, to: range.to, limit: q.limit, thin: simplify > 0 });
    if (points.length === 0) await assertKnown(ctx, id);
    const truncated = points.length > q.limit;
    if (truncated) points = pick(points, Uint32Array.from({ length: q.limit }, (_, i) => i));
    if (simplify > 0) points = pick(points, douglasPeucker(points.latE6, points.lonE6, simplify));
    const body = render(q.format, { id, fromMs: range.fromMs, toMs: range.toMs, truncated }, points);
    if (cache && typeof body === 'string') {
      const bytes = Buffer.from(body);
      const entry: TrackBody = { truncated, bytes };
      cache.set(bodyKey, id, generation, entry);
      return send(reply, id, range, q.format, { truncated, body: bytes });
    }
    if (cache && Buffer.isBuffer(body)) cache.set(bodyKey, id, generation, { truncated, bytes: body });
    return send(reply, id, range, q.format, { truncated, body });
  });
};
