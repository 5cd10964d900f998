/** GET /terminals/{id}/trips */
import type { FastifyPluginAsync } from 'fastify';
import { tripsOverlapping, type WindowTrip } from '../../store/queries/trip-window.js';
import { addDays } from '../../store/timezone.js';
import type { ApiContext } from '../context.js';
import { computeLive, liveDays } from '../live-days.js';
import { attachment, csvLine, CSV_TYPE, round } from '../output.js';
import { iso, isoS, terminalId, timeRange } from '../params.js';
import { encodeProto, PROTOBUF_TYPE } from '../proto.js';
import { assertKnown } from '../terminal-check.js';
import { tripsSchema, type TripsQuerystring } from './schema.js';

const MAX_DAYS = 366;

interface TripOut extends WindowTrip {
  live: boolean;
}

const distanceM = (t: TripOut): number => (t.source === 'odometer' ? t.odoM : t.gpsM);

function tripJson(t: TripOut) {
  return {
    id: t.tripId,
    day: t.day,
    ...(t.live ? {} : { revision: t.revision }),
    start: { time: isoS(t.startTs), lat: t.startLatE6 / 1e6, lon: t.startLonE6 / 1e6 },
    end: { time: isoS(t.endTs), lat: t.endLatE6 / 1e6, lon: t.endLonE6 / 1e6 },
    durationS: t.endTs - t.startTs,
    distanceKm: round(distanceM(t) / 1000, 3),
    odometerKm: round(t.odoM / 1000, 3),
    gpsKm: round(t.gpsM / 1000, 3),
    maxSpeedKmh: t.maxSpeed / 10,
    drivingS: t.driveS,
    idleS: t.idleS,
    endReason: t.endReason,
    live: t.live,
  };
}

const CSV_HEADER = ['id', 'day', 'revision', 'startTime', 'startLat', 'startLon', 'endTime', 'endLat', 'endLon', 'durationS', 'distanceKm',
  'odometerKm', 'gpsKm', 'maxSpeedKmh', 'drivingS', 'idleS', 'endReason', 'live'];

export const tripsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Params: { id: string }; Querystring: TripsQuerystring }>('/terminals/:id/trips', { schema: tripsSchema }, async (req, reply) => {
    const id = terminalId(req.params.id);
    const r = timeRange(req.query, ctx.zone, MAX_DAYS);
    // A trip belongs to its start day and reaches at most the rollup's lookahead into the next one.
    const fromDay = addDays(ctx.zone.day(r.from), -1);
    const lastDay = ctx.zone.day(r.to - 1);
    const live = await liveDays(ctx, fromDay, addDays(lastDay, 1));
    const [closed, computed] = await Promise.all([
      tripsOverlapping(ctx.db, { terminal: id, fromDay, toDay: lastDay, from: r.from, to: r.to }),
      computeLive(ctx, id, live),
    ]);
    // A day computed live is not read from storage too: a rollup tick may be writing it right now.
    const liveSet = new Set<string>(live);
    const trips: TripOut[] = closed.filter((t) => !liveSet.has(t.day)).map((t) => ({ ...t, live: false }));
    for (const [day, res] of computed) {
      for (const t of res.trips) {
        if (t.startTs >= r.to || t.endTs <= r.from) continue;
        trips.push({
          tripId: t.tripId, day, revision: 0, startTs: t.startTs, endTs: t.endTs, endReason: t.endReason, driveS: t.driveS,
          idleS: t.idleS, gpsM: t.gpsM, odoM: t.odoM, maxSpeed: t.maxSpeed, points: t.points, startLatE6: t.startLat,
          startLonE6: t.startLon, endLatE6: t.endLat, endLonE6: t.endLon, source: res.figures.distanceSource, live: true,
        });
      }
    }
    trips.sort((a, b) => a.startTs - b.startTs);
    if (trips.length === 0) await assertKnown(ctx, id);
    if (req.query.format === 'csv') {
      attachment(reply, `trips-${id}-${r.from}-${r.to}.csv`);
      const lines = trips.map((t) => {
        const j = tripJson(t);
        return csvLine([j.id, j.day, j.revision, j.start.time, j.start.lat, j.start.lon, j.end.time, j.end.lat, j.end.lon, j.durationS,
          j.distanceKm, j.odometerKm, j.gpsKm, j.maxSpeedKmh, j.drivingS, j.idleS, j.endReason, j.live]);
      });
      return reply.type(CSV_TYPE).send(csvLine(CSV_HEADER) + lines.join(''));
    }
    if (req.query.format === 'protobuf') {
      const body = encodeProto('Trips', {
        terminal: id, fromMs: r.fromMs, toMs: r.toMs,
        trips: trips.map((t) => ({
          id: t.tripId, day: t.day, revision: t.revision, start: { timeMs: t.startTs * 1000, latE6: t.startLatE6, lonE6: t.startLonE6 },
          end: { timeMs: t.endTs * 1000, latE6: t.endLatE6, lonE6: t.endLonE6 }, durationS: t.endTs - t.startTs, distanceM: distanceM(t),
          odometerM: t.odoM, gpsM: t.gpsM, maxSpeedDkmh: t.maxSpeed, drivingS: t.driveS, idleS: t.idleS, endReason: t.endReason, live: t.live,
        })),
      });
      return reply.type(PROTOBUF_TYPE).send(body);
    }
    return { id, from: iso(r.fromMs), to: iso(r.toMs), count: trips.length, trips: trips.map(tripJson) };
  });
};
