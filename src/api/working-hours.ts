/**
 * FLEETGATE_WORKING_HOURS → the UTC instants of every working window of a range of local days, as the fleet
 * report's query takes them (store/queries/fleet-report.ts DayWindows). Local wall-clock times are converted
 * with the zone's own rules, so a window on a DST day still opens at its local time.
 */
import type { WorkingWindow } from '../config/kinds.js';
import type { DayWindows } from '../store/queries/fleet-report.js';
import type { Zone } from '../store/timezone.js';
import { eachDay } from './params.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight of instant `t` (epoch s) in `tz`. */
function wallMinutes(tz: string, t: number): number {
  let f = formatters.get(tz);
  if (!f) formatters.set(tz, (f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  const [h, m] = f.format(new Date(t * 1000)).split(':').map(Number);
  return h * 60 + m;
}

/** The instant of local time `minute` (0-1440) on `day`. */
export function localInstant(zone: Zone, day: string, minute: number): number {
  const b = zone.bounds(day);
  if (minute >= 1440) return b.end;
  const t = b.start + minute * 60;
  // Midnight plus elapsed minutes is off by the DST shift when one happened before `minute` that day.
  const shift = minute - wallMinutes(zone.tz, t);
  return shift === 0 || Math.abs(shift) > 180 ? t : t + shift * 60;
}

/** ISO weekday (1 = Monday) of a 'YYYY-MM-DD' day. */
const weekday = (day: string): number => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

export function dayWindows(zone: Zone, fromDay: string, toDay: string, windows: readonly WorkingWindow[]): DayWindows {
  const out: DayWindows = { starts: [], ends: [], first: [], count: [] };
  for (const day of eachDay(fromDay, toDay)) {
    const mine = windows.filter((w) => w.day === weekday(day));
    out.first.push(out.starts.length + 1);
    out.count.push(mine.length);
    for (const w of mine) {
      out.starts.push(localInstant(zone, day, w.startMin));
      out.ends.push(localInstant(zone, day, w.endMin));
    }
  }
  return out;
}
