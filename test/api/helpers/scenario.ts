/**
 * The fleet the API suites query. D is a Monday at least nine days back (closed, and its weekday known for
 * the working-hours figures: Mon-Fri 08:00-18:00).
 *
 * A (sent as 013800138000, id 13800138000), odometer and fuel:
 *   D−1 22:00-23:00 parked.
 *   D 06:00 parked; trip 1 08:00-08:30 at 36 km/h (inside working hours), its reports sent twice (a resend);
 *   parked to 13:59; 14:00-14:30 blind area (trip 14:00-14:20, parked to 14:30) uploaded late as 0x0704;
 *   parked 14:30-19:00; trip 2 19:00-19:20 (outside); parked; trip 3 23:50 → D+1 00:20 (outside, across
 *   midnight: 6 km on D, 12 km on D+1); parked to D+1 02:00.
 *   Today: parked, then the last 20 minutes driving (a live day).
 * B (13800138001), no odometer, online: trip 10:00-10:10 on D at 36 km/h, 10 km east of A.
 * C (13800138002): registered, never reported. E (13800138004): reported on D, not in the directory.
 */
import type { LocationInput } from '../../../protocols/jt808/messages/location.js';
import { addDays, type Zone } from '../../../src/store/timezone.js';
import { Drive } from './drive.js';
import { backfill, report, type Harness, type Message } from './harness.js';

export const A = '13800138000';
export const B = '13800138001';
export const C = '13800138002';
export const E = '13800138004';
export const UNKNOWN = '13900000000';

export interface Scenario {
  D: string;
  /** Epoch s of local `hh:mm` on D (+ days). */
  at(hhmm: string, days?: number): number;
  initial: Message[];
  /** The blind-area upload, sent after the first rollup. */
  late: Message[];
  blindPoints: number;
}

export function mondayBack(zone: Zone, minDays: number): string {
  let d = addDays(zone.day(Math.floor(Date.now() / 1000)), -minDays);
  while (new Date(`${d}T00:00:00Z`).getUTCDay() !== 1) d = addDays(d, -1);
  return d;
}

export function scenario(zone: Zone): Scenario {
  const D = mondayBack(zone, 9);
  const s = zone.bounds(D).start;
  const at = (hhmm: string, days = 0): number => {
    const [h, m] = hhmm.split(':').map(Number);
    return s + days * 86_400 + h * 3600 + m * 60;
  };
  const a = new Drive(106_500_000)
    .run(at('22:00', -1), at('23:00', -1), 60, 0, 0)
    .run(at('06:00'), at('08:00'), 60, 0, 0)
    .run(at('08:00'), at('08:30'), 30, 1, 36)
    .run(at('08:30'), at('14:00'), 60, 0, 0)
    .run(at('14:00'), at('14:20'), 30, 1, 36)
    .run(at('14:20'), at('14:30'), 60, 0, 0)
    .run(at('14:30'), at('19:00'), 60, 0, 0)
    .run(at('19:00'), at('19:20'), 30, 1, 36)
    .run(at('19:20'), at('23:50'), 60, 0, 0)
    .run(at('23:50'), at('00:20', 1), 30, 1, 36)
    .run(at('00:20', 1), at('02:00', 1), 60, 0, 0);
  const blind = (p: LocationInput): boolean => p.time! >= at('14:00') * 1000 && p.time! < at('14:30') * 1000;
  const trip1 = (p: LocationInput): boolean => p.time! >= at('08:00') * 1000 && p.time! < at('08:30') * 1000;
  const now = Math.floor(Date.now() / 1000);
  const today = new Drive(106_500_000).run(now - 7200, now - 1200, 60, 0, 0).run(now - 1200, now - 30, 30, 1, 36);
  const b = new Drive(106_600_000, false).run(at('09:00'), at('10:00'), 60, 0, 0).run(at('10:00'), at('10:10'), 30, 1, 36).run(at('10:10'), at('11:00'), 60, 0, 0);
  const e = new Drive(106_700_000).run(at('12:00'), at('12:10'), 60, 0, 0);
  const initial: Message[] = [
    ...a.points.filter((p) => !blind(p)).map((p) => report('013800138000', p)),
    // The terminal resends trip 1 (no answer reached it): same device times, received later.
    ...a.points.filter(trip1).map((p) => report('013800138000', p, p.time! + 60_000)),
    ...today.points.map((p) => report('013800138000', p)),
    ...b.points.map((p) => report('013800138001', p)),
    ...e.points.map((p) => report('013800138004', p)),
  ];
  const blindPoints = a.points.filter(blind);
  return { D, at, initial, late: backfill('013800138000', blindPoints, Date.now()), blindPoints: blindPoints.length };
}

/** Loads the scenario's initial data, registers A, B, C, and runs the rollup. */
export async function loadScenario(h: Harness): Promise<Scenario> {
  const sc = scenario(h.zone);
  h.directory.add({ id: A, plate: '渝A12345', plateColor: 1, manufacturer: 'FLEET', model: 'SIM-1', deviceId: 'T0001', protocolVersion: '2013', registeredAtMs: Date.parse('2026-01-02T03:04:05Z') });
  h.directory.add({ id: B, plate: '=B99999', protocolVersion: '2019' });
  h.directory.add({ id: C, plate: '渝C00000' });
  h.sessions.map.set(B, { authenticated: true, connectedSinceMs: Date.now() - 60_000, lastSeenMs: Date.now() - 1000, layout: '2019', peer: '10.0.0.2:40000' });
  await h.ingest(sc.initial);
  await h.rollupAll();
  return sc;
}
