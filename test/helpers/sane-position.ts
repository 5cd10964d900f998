/**
 * The sanity check every valid location fixture passes (STYLE.md §1, after traccar's
 * ProtocolTest.verifyDecodedPosition): coordinates on the globe, a plausible device time, a speed a
 * road vehicle can reach, a compass direction.
 */
import type { Location } from '../../protocols/jt808/messages/location.js';

/** The part of a tap `Test` this helper uses. */
export interface OkAsserter {
  ok(value: unknown, message: string): unknown;
}

const HOUR_MS = 3_600_000;

/** `now` defaults to the wall clock: a device time more than 25 h ahead of it is not sane. */
export function assertSanePosition(t: OkAsserter, loc: Location, now: number = Date.now()): void {
  t.ok(Math.abs(loc.lat) <= 90, `|lat| ${loc.lat} ≤ 90`);
  t.ok(Math.abs(loc.lon) <= 180, `|lon| ${loc.lon} ≤ 180`);
  if (loc.time !== null) {
    t.ok(new Date(loc.time).getUTCFullYear() > 1999, `time ${new Date(loc.time).toISOString()} after 1999`);
    t.ok(loc.time < now + 25 * HOUR_MS, `time ${new Date(loc.time).toISOString()} not more than 25 h ahead`);
  }
  t.ok(loc.speedKmh >= 0 && loc.speedKmh < 400, `speed ${loc.speedKmh} km/h < 400`);
  t.ok(loc.direction >= 0 && loc.direction < 360, `direction ${loc.direction} < 360`);
}
