/** GET /terminals/{id}/mileage */
import type { FastifyPluginAsync } from 'fastify';
import { dailyFigures } from '../../store/queries/daily.js';
import { addDays } from '../../store/timezone.js';
import type { ApiContext } from '../context.js';
import { computeLive, liveDays } from '../live-days.js';
import { round } from '../output.js';
import { dayRange, eachDay, terminalId } from '../params.js';
import { assertKnown } from '../terminal-check.js';
import { mileageSchema, type MileageQuerystring } from './schema.js';

const MAX_DAYS = 366;

/** The figures a mileage day is built from, whether stored or computed live. */
interface DayIn {
  distanceM: number; odoM: number; gpsM: number; gapM: number; source: string; rule: string; revision: number;
  odoResets: number; odoJumps: number; gpsJumps: number; backfillPoints: number; invalidPoints: number;
}

function flags(d: DayIn): string[] {
  const f: string[] = [];
  if (d.odoResets > 0) f.push('odometer_reset');
  if (d.odoJumps > 0) f.push('odometer_jump');
  if (d.gpsJumps > 0) f.push('gps_jump');
  if (d.gapM > 0) f.push('gap_bridged');
  if (d.backfillPoints > 0) f.push('backfill');
  if (d.invalidPoints > 0) f.push('invalid_fixes');
  if (d.revision > 1) f.push('restated');
  return f;
}

const km = (m: number): number => round(m / 1000, 3);

export const mileagePlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Params: { id: string }; Querystring: MileageQuerystring }>('/terminals/:id/mileage', { schema: mileageSchema }, async (req) => {
    const id = terminalId(req.params.id);
    const r = dayRange(req.query, ctx.zone, MAX_DAYS);
    const live = await liveDays(ctx, r.fromDay, r.toDay);
    const [stored, computed] = await Promise.all([
      dailyFigures(ctx.db, r.fromDay, addDays(r.toDay, -1), [id]),
      computeLive(ctx, id, live),
    ]);
    const byDay = new Map<string, DayIn>();
    for (const s of stored) {
      byDay.set(String(s.day), {
        distanceM: Number(s.distance_m), odoM: Number(s.odo_m), gpsM: Number(s.gps_m), gapM: Number(s.gap_m),
        source: String(s.distance_source), rule: String(s.distance_rule), revision: Number(s.revision),
        odoResets: Number(s.odo_resets), odoJumps: Number(s.odo_jumps), gpsJumps: Number(s.gps_jumps),
        backfillPoints: Number(s.backfill_points), invalidPoints: Number(s.invalid_points),
      });
    }
    for (const [day, { figures: f }] of computed) {
      byDay.set(day, {
        distanceM: f.distanceM, odoM: f.odoM, gpsM: f.gpsM, gapM: f.gapM, source: f.distanceSource, rule: f.distanceRule,
        revision: 0, odoResets: f.odoResets, odoJumps: f.odoJumps, gpsJumps: f.gpsJumps, backfillPoints: f.backfillPoints,
        invalidPoints: f.invalidPoints,
      });
    }
    if (byDay.size === 0) await assertKnown(ctx, id);
    const today = ctx.zone.day(Math.floor(Date.now() / 1000));
    const liveSet = new Set(live);
    const days = eachDay(r.fromDay, r.toDay)
      .filter((d) => d <= today)
      .map((date) => {
        const d = byDay.get(date);
        if (!d) {
          return { date, km: 0, odometerKm: 0, gpsKm: 0, source: 'none', rule: 'no_data', flags: ['no_data'], revision: 0, live: liveSet.has(date) };
        }
        return {
          date, km: km(d.distanceM), odometerKm: km(d.odoM), gpsKm: km(d.gpsM), source: d.source, rule: d.rule, flags: flags(d),
          revision: d.revision, live: liveSet.has(date),
        };
      });
    // Sums in metres, rounded once: the total equals the sum of the days' exact figures.
    let m = 0;
    let odo = 0;
    let gps = 0;
    for (const d of byDay.values()) {
      m += d.distanceM;
      odo += d.odoM;
      gps += d.gpsM;
    }
    const total = { km: km(m), odometerKm: km(odo), gpsKm: km(gps), days: days.length, daysWithData: byDay.size };
    return { id, from: r.fromDay, to: r.toDay, timezone: ctx.zone.tz, ...(req.query.interval === 'day' ? { days } : {}), total };
  });
};
