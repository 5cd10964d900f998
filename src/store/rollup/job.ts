/**
 * The daily rollup: computes vehicle_daily for each local day once it has closed, and restates a day
 * whenever late rows (0x0704 backfill, a replayed spool, a drained backlog) touch it. Every change of a
 * day's figures is a new revision in vehicle_daily_revisions, with the reason and the fields that changed;
 * an unchanged recompute only refreshes computed_at (which marks the late rows as accounted for).
 *
 * Crash-safe without state of its own: late rows leave marks (rollup_dirty, written by the sink with the
 * rows); a mark is pending while it is not older than the day's computed_at. Inserts go trips → revision →
 * vehicle_daily, so vehicle_daily (the pointer to the current revision) is written last; a rerun after a
 * crash recomputes the same revision and the ReplacingMergeTree keys absorb the repeat.
 */
import type { Db } from '../db.js';
import { VEHICLE_DAILY } from '../schema.js';
import { addDays, Zone, DEFAULT_TIMEZONE } from '../timezone.js';
import { queryPieces, type Piece } from './pieces.js';
import { reduceDay, type DayFigures, type DayResult } from './reduce.js';
import { DEFAULT_RULES, lookbackS, rulesId, type RollupRules } from './rules.js';

export interface RollupOptions {
  /** Zone of the local days. Default Asia/Shanghai. */
  timezone?: string;
  rules?: Partial<RollupRules>;
  /** Wait this long (s) after a day's lookahead window before its first computation. Default 1800. */
  graceS?: number;
  /** First day to compute ('YYYY-MM-DD'); default the day of the oldest position. */
  firstDay?: string;
  /** Full days computed per tick (catch-up is spread over ticks). Default 3. */
  maxDaysPerTick?: number;
  /** Hash buckets of a fleet-wide pass (bounds memory on big fleets). Default 1. */
  buckets?: number;
}

export type RevisionReason = 'initial' | 'backfill' | 'late_data' | 'neighbour_day' | 'rules_changed' | 'recompute';

export interface LateRows {
  rows: number;
  backfill: number;
}

export interface DayRun {
  day: string;
  terminals: number;
  revised: number;
  unchanged: number;
}

export interface TickResult {
  days: DayRun[];
  restated: DayRun[];
}

type StoredDaily = Record<string, string | number> & { terminal: string; revision: number; digest: string; rules: string };

/** Figure columns compared and reported in a revision's `changes`. */
const COMPARED: readonly (keyof DayFigures)[] = [
  'distanceM', 'distanceSource', 'distanceRule', 'gpsM', 'odoM', 'trips', 'driveS', 'idleS', 'offS', 'fuelUsedDl',
  'refuels', 'maxSpeed', 'points', 'firstTs', 'lastTs',
];

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function dailyRow(f: DayFigures, revision: number, rules: string, computedAt: number): Record<string, string | number> {
  const row: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(f)) row[snake(k)] = v;
  return { ...row, revision, rules, computed_at: computedAt };
}

export class Rollup {
  readonly rules: RollupRules;
  readonly rulesId: string;
  readonly zone: Zone;
  private readonly o: RollupOptions;

  constructor(
    private readonly db: Db,
    o: RollupOptions = {},
  ) {
    if (!db.info.features.windowFunctions) {
      throw new Error(`the daily rollup needs window functions (ClickHouse ≥ 21.9); this server is ${db.info.version}`);
    }
    this.o = o;
    this.rules = { ...DEFAULT_RULES, ...o.rules };
    this.rulesId = rulesId(this.rules);
    this.zone = new Zone(o.timezone ?? DEFAULT_TIMEZONE);
  }

  private async serverNow(): Promise<number> {
    const [r] = await this.db.query<{ now: number }>('SELECT toUInt32(now()) AS now');
    return Number(r.now);
  }

  private async readPieces(day: string, terminals?: readonly string[]): Promise<{ pieces: Piece[]; windowEnd: number }> {
    const b = this.zone.bounds(day);
    const q = { from: b.start - lookbackS(this.rules), to: b.end + this.rules.lookaheadS, timezone: this.zone.tz, terminals };
    const of = terminals ? 1 : Math.max(1, this.o.buckets ?? 1);
    const pieces: Piece[] = [];
    for (let index = 0; index < of; index++) {
      // No spread: a fleet-day is hundreds of thousands of pieces, past the engine's argument limit.
      for (const p of await queryPieces(this.db, this.rules, of > 1 ? { ...q, bucket: { index, of } } : q)) pieces.push(p);
    }
    return { pieces, windowEnd: q.to };
  }

  /** Figures of one day (all terminals, or the given ones), without writing anything. */
  async computeDay(day: string, terminals?: readonly string[]): Promise<DayResult[]> {
    const { pieces, windowEnd } = await this.readPieces(day, terminals);
    const b = this.zone.bounds(day);
    const prev = addDays(day, -1);
    const out: DayResult[] = [];
    for (let i = 0; i < pieces.length; ) {
      let j = i;
      while (j < pieces.length && pieces[j].terminal === pieces[i].terminal) j++;
      const r = reduceDay(pieces.slice(i, j), day, prev, b, windowEnd, this.rules);
      if (r) out.push(r);
      i = j;
    }
    return out;
  }

  /**
   * Computes and stores one day. `late` names the late rows that caused this run, per terminal; terminals
   * restated without late rows of their own get `fallback` as the reason.
   */
  async storeDay(day: string, opts: { terminals?: readonly string[]; late?: ReadonlyMap<string, LateRows>; fallback?: RevisionReason } = {}): Promise<DayRun> {
    const computedAt = await this.serverNow();
    const results = await this.computeDay(day, opts.terminals);
    const current = await this.current(day, opts.terminals);
    const trips: Record<string, string | number>[] = [];
    const revisions: Record<string, string | number>[] = [];
    const daily: Record<string, string | number>[] = [];
    let revised = 0;
    for (const { figures: f, trips: ts } of results) {
      const prev = current.get(f.terminal);
      if (prev && prev.digest === f.digest && prev.rules === this.rulesId) {
        daily.push(dailyRow(f, prev.revision, this.rulesId, computedAt));
        continue;
      }
      revised++;
      const revision = (prev?.revision ?? 0) + 1;
      const late = opts.late?.get(f.terminal);
      const reason: RevisionReason = late
        ? late.backfill > 0 ? 'backfill' : 'late_data'
        : !prev ? 'initial' : prev.rules !== this.rulesId ? 'rules_changed' : (opts.fallback ?? 'recompute');
      const changes = prev
        ? COMPARED.filter((k) => String(prev[snake(k)]) !== String(f[k])).map((k) => `${snake(k)} ${prev[snake(k)]}→${f[k]}`).join('; ')
        : '';
      const row = dailyRow(f, revision, this.rulesId, computedAt);
      daily.push(row);
      revisions.push({ ...row, reason, late_rows: late?.rows ?? 0, changes });
      for (const t of ts) {
        trips.push({
          terminal: t.terminal, day, revision, trip_id: t.tripId, start_ts: t.startTs, end_ts: t.endTs,
          end_reason: t.endReason, drive_s: t.driveS, idle_s: t.idleS, gps_m: t.gpsM, odo_m: t.odoM,
          max_speed: t.maxSpeed, points: t.points, start_lat: t.startLat, start_lon: t.startLon,
          end_lat: t.endLat, end_lon: t.endLon, computed_at: computedAt,
        });
      }
    }
    await this.insertRows('trips', trips);
    await this.insertRows('vehicle_daily_revisions', revisions);
    await this.insertRows('vehicle_daily', daily);
    return { day, terminals: results.length, revised, unchanged: results.length - revised };
  }

  private async current(day: string, terminals?: readonly string[]): Promise<Map<string, StoredDaily>> {
    // Times as epoch numbers, so they compare with the computed figures.
    const cols = VEHICLE_DAILY.columns.map((c) =>
      c.type.startsWith('DateTime') ? `toUInt32(${c.name}) AS ${c.name}` : c.name,
    );
    const rows = await this.db.query<StoredDaily>(
      `SELECT ${cols.join(', ')} FROM ${this.db.t('vehicle_daily')} FINAL WHERE day = {day:Date}${terminals ? ' AND terminal IN {terminals:Array(String)}' : ''}`,
      terminals ? { day, terminals } : { day },
    );
    return new Map(rows.map((r) => [r.terminal, { ...r, revision: Number(r.revision) }]));
  }

  private async insertRows(table: string, rows: readonly Record<string, string | number>[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]);
    const chunks: string[] = [];
    for (let i = 0; i < rows.length; i += 5000) {
      chunks.push(rows.slice(i, i + 5000).map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
    await this.db.insert(table, columns, 'JSONEachRow', chunks);
  }

  /** A full-day pass, recorded in rollup_runs so the scheduler knows the day is closed. */
  async runDay(day: string): Promise<DayRun> {
    const startedAt = await this.serverNow();
    const run = await this.storeDay(day, { fallback: 'recompute' });
    await this.db.command(
      `INSERT INTO ${this.db.t('rollup_runs')} (day, rules, terminals, started_at, finished_at) ` +
        `SELECT {day:Date}, {rules:String}, {n:UInt32}, toDateTime({started:UInt32}, 'UTC'), now()`,
      { day, rules: this.rulesId, n: run.terminals, started: startedAt },
    );
    return run;
  }

  async completedDays(): Promise<Set<string>> {
    const rows = await this.db.query<{ day: string }>(`SELECT DISTINCT toString(day) AS day FROM ${this.db.t('rollup_runs')}`);
    return new Set(rows.map((r) => r.day));
  }

  /** Late rows not yet accounted for, per day and terminal (a mark is pending until the day is recomputed after it). */
  async pendingLate(sinceS: number): Promise<Map<string, Map<string, LateRows>>> {
    const rows = await this.db.query<{ day: string; terminal: string; rows: number; backfill: number }>(
      `SELECT toString(m.day) AS day, m.terminal AS terminal, toUInt32(sum(m.rows)) AS rows, toUInt32(sum(m.backfill_rows)) AS backfill
       FROM ${this.db.t('rollup_dirty')} AS m
       LEFT JOIN (
         SELECT terminal, day, max(computed_at) AS computed_at FROM ${this.db.t('vehicle_daily')}
         WHERE day IN (SELECT day FROM ${this.db.t('rollup_dirty')} WHERE marked_at >= {since:DateTime})
         GROUP BY terminal, day
       ) AS v ON m.terminal = v.terminal AND m.day = v.day
       WHERE m.marked_at >= {since:DateTime} AND m.marked_at >= v.computed_at
       GROUP BY m.day, m.terminal`,
      { since: sinceS },
    );
    const out = new Map<string, Map<string, LateRows>>();
    for (const r of rows) {
      let m = out.get(r.day);
      if (!m) out.set(r.day, (m = new Map()));
      m.set(r.terminal, { rows: Number(r.rows), backfill: Number(r.backfill) });
    }
    return out;
  }

  /**
   * Restates the days touched by late rows, for the terminals concerned. The neighbouring days are recomputed
   * too: a late point near midnight moves the segment that crosses it and trips that span it.
   */
  async restateLate(done: ReadonlySet<string>, sinceS: number): Promise<DayRun[]> {
    const pending = await this.pendingLate(sinceS);
    const work = new Map<string, { terminals: Set<string>; late: Map<string, LateRows> }>();
    for (const [day, late] of pending) {
      if (!done.has(day)) continue; // the day's first full pass will include these rows
      for (const d of [addDays(day, -1), day, addDays(day, 1)]) {
        if (!done.has(d)) continue;
        let w = work.get(d);
        if (!w) work.set(d, (w = { terminals: new Set(), late: new Map() }));
        for (const t of late.keys()) w.terminals.add(t);
        if (d === day) for (const [t, l] of late) w.late.set(t, l);
      }
    }
    const runs: DayRun[] = [];
    for (const [day, w] of [...work].sort(([a], [b]) => a.localeCompare(b))) {
      runs.push(await this.storeDay(day, { terminals: [...w.terminals].sort(), late: w.late, fallback: 'neighbour_day' }));
    }
    return runs;
  }

  private async firstDay(): Promise<string | undefined> {
    if (this.o.firstDay) return this.o.firstDay;
    const [r] = await this.db.query<{ t: number; n: number }>(
      `SELECT toUInt32(min(ts)) AS t, toUInt32(count()) AS n FROM ${this.db.t('positions')}`,
    );
    return Number(r.n) > 0 ? this.zone.day(Number(r.t)) : undefined;
  }

  /** One scheduler step: compute the closed days not yet computed (a few per tick), then restate late rows. */
  async tick(): Promise<TickResult> {
    const now = await this.serverNow();
    const done = await this.completedDays();
    const days: DayRun[] = [];
    const grace = this.o.graceS ?? 1800;
    const sorted = [...done].sort();
    let day = sorted.length ? addDays(sorted[sorted.length - 1], 1) : await this.firstDay();
    while (day && days.length < (this.o.maxDaysPerTick ?? 3) && this.zone.bounds(day).end + this.rules.lookaheadS + grace <= now) {
      days.push(await this.runDay(day));
      done.add(day);
      day = addDays(day, 1);
    }
    const restated = await this.restateLate(done, now - 40 * 86400);
    return { days, restated };
  }
}
