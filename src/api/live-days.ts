/**
 * Days the daily rollup has not closed yet — today, and a day still inside its lookahead and grace — are
 * computed live from raw positions for one terminal (the rollup's own computeDay: same rules, same trip ids,
 * nothing written). A range with more such days than MAX_LIVE_DAYS is refused with 503 rather than run dozens
 * of raw scans; that happens only while the rollup catches up.
 */
import { firstPositionTs, lastClosedDay } from '../store/queries/days.js';
import type { DayResult } from '../store/rollup/reduce.js';
import { addDays } from '../store/timezone.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { eachDay } from './params.js';

export const MAX_LIVE_DAYS = 7;

/** Local days in [fromDay, toDay) to compute live: not closed, not after today, not before the first data. */
export async function liveDays(ctx: ApiContext, fromDay: string, toDay: string): Promise<string[]> {
  if (!ctx.rollup) return [];
  const today = ctx.zone.day(Math.floor(Date.now() / 1000));
  const end = toDay < addDays(today, 1) ? toDay : addDays(today, 1);
  const last = await lastClosedDay(ctx.db);
  let start = fromDay;
  if (last !== undefined) {
    if (addDays(last, 1) > start) start = addDays(last, 1);
  } else {
    const first = await firstPositionTs(ctx.db);
    if (first === undefined) return [];
    const firstDay = ctx.zone.day(first);
    if (firstDay > start) start = firstDay;
  }
  const days = start < end ? eachDay(start, end) : [];
  if (days.length > MAX_LIVE_DAYS) {
    throw new ApiError(
      'FG_ERR_ROLLUP_PENDING',
      `${days.length} days of this range (${days[0]} to ${days[days.length - 1]}) are not rolled up yet; at most ${MAX_LIVE_DAYS} are computed live`,
      { 'retry-after': '60' },
    );
  }
  return days;
}

/** One terminal's figures and trips for each live day (days without reports are left out). */
export async function computeLive(ctx: ApiContext, id: string, days: readonly string[]): Promise<Map<string, DayResult>> {
  const out = new Map<string, DayResult>();
  if (!ctx.rollup) return out;
  for (const day of days) {
    const [r] = await ctx.rollup.computeDay(day, [id]);
    if (r) out.set(day, r);
  }
  return out;
}
