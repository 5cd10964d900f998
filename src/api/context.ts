/** What every resource plugin is given: storage, live state, the settings that shape answers. */
import type { Db } from '../store/db.js';
import type { LatestCache } from '../store/latest-cache.js';
import type { Rollup } from '../store/rollup/job.js';
import type { Zone } from '../store/timezone.js';
import type { WorkingWindow } from '../config/kinds.js';
import type { LiveSessions, TerminalDirectory } from './directory.js';
import type { TrackCache } from './tracks/cache.js';

export interface ApiData {
  db: Db;
  /** Computes days the rollup has not closed yet (today); null on servers without window functions. */
  rollup: Rollup | null;
  latest: LatestCache;
  terminals: TerminalDirectory;
  sessions: LiveSessions;
  /** Track cache tied to the sink's commits (start.ts wires it); absent = every track is read from ClickHouse. */
  trackCache?: TrackCache;
  /** Keep fleet-report reads while the tables' parts in their range are unchanged (default true; off for benchmarks). */
  cacheReports?: boolean;
}

export interface ApiSettings {
  maxTrackDays: number;
  timezone: string;
  workingHours: readonly WorkingWindow[];
}

export interface ApiContext extends ApiData {
  settings: ApiSettings;
  zone: Zone;
}
