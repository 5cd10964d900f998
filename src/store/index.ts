/** src/store public surface: connect, migrate, ingest (sink), roll up, query. */
export type { StoreOptions } from './options.js';
export { DEFAULT_DATABASE } from './options.js';
export type { PositionRow, IgnitionEventRow, TerminalRow, DecodedBatch, RowBatch, EncodeContext, EncodedPositions, PositionColumns, LateMark } from './rows.js';
export { openDb } from './connect.js';
export { Db, QueryError } from './db.js';
export type { ServerInfo, ServerFeatures } from './server-info.js';
export { migrate, MIGRATIONS, MigrationError, type Migration, type MigrateResult } from './migrations.js';
export { Sink, type SinkOptions, type SinkStats, type SpoolSource, type DecodeFn, type SinkLogger } from './sink.js';
export { encodeRows, positionCodec, ignitionCodec } from './encode.js';
export { encodePositions, rowDecode } from './encode-positions.js';
export { Zone, DEFAULT_TIMEZONE } from './timezone.js';
export { Rollup, type RollupOptions, type TickResult, type DayRun, type RevisionReason } from './rollup/job.js';
export { DEFAULT_RULES, rulesId, type RollupRules } from './rollup/rules.js';
export { track, type TrackPoint } from './queries/track.js';
export { latestPositions, type LatestPosition } from './queries/latest.js';
export { ignitionEvents, type IgnitionEvent } from './queries/ignition.js';
export { trips, type TripRow } from './queries/trips.js';
export { dailyFigures, restatements, type DailyRow } from './queries/daily.js';
export { trackPoints, emptyTrack, trackBytes, type TrackColumns, type TrackQuery } from './queries/track-points.js';
export { fleetTotals, outsideHours, reportGeneration, type FleetTotals, type OutsideHours, type DayWindows } from './queries/fleet-report.js';
export { tripsOverlapping, type WindowTrip } from './queries/trip-window.js';
export { lastClosedDay, hasPositions, firstPositionTs } from './queries/days.js';
export { revisionsSince, type Revision, type RevisionQuery, type Figures } from './queries/revisions.js';
export { LatestCache } from './latest-cache.js';

import { openDb } from './connect.js';
import { migrate } from './migrations.js';
import type { Db } from './db.js';
import type { StoreOptions } from './options.js';

/** Connect and migrate: what start-up calls. A failed migration rejects with MigrationError. */
export async function openStore(o: StoreOptions): Promise<Db> {
  const db = await openDb(o);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
