/**
 * The latest position of every terminal, in memory (node-cache): updated from each decoded batch, so it is
 * ahead of ClickHouse, and seeded from ClickHouse after a restart (`warm`). A terminal not in memory is looked
 * up in ClickHouse (`lookup`). Which rows may become latest is decided where they are decoded (position-columns.ts).
 */
import NodeCache from 'node-cache';
import type { Db } from './db.js';
import { latestPositions, type LatestPosition } from './queries/latest.js';
import type { PositionColumns } from './rows.js';

/** 2000-01-01: JT808 times are 20xx, and a DateTime parameter of 0 does not parse on every server. */
const EPOCH_2000 = 946_684_800;

export class LatestCache {
  private readonly cache = new NodeCache({ stdTTL: 0, checkperiod: 0, useClones: false });
  private warming: Promise<void> | undefined;
  private warmed = false;

  get size(): number {
    return this.cache.keys().length;
  }

  /** Whether the ClickHouse seed has been loaded (positions may still be in memory from live traffic). */
  get isWarm(): boolean {
    return this.warmed;
  }

  private offer(p: LatestPosition): void {
    const have = this.cache.get<LatestPosition>(p.terminal);
    if (!have || p.ts > have.ts) this.cache.set(p.terminal, p);
  }

  /**
   * Offers each read's newest row per terminal (columns.latest); a newer device time already held stays. A
   * terminal's entry is updated in place: no object per read, nothing for the old generation to collect.
   */
  update(c: PositionColumns): void {
    for (let k = 0; k < c.latest.length; k++) {
      const j = c.latest[k];
      if (j < 0) continue;
      const terminal = c.terminals[k];
      const have = this.cache.get<LatestPosition>(terminal);
      if (have && have.ts >= c.ts[j]) continue;
      const p = have ?? ({ terminal } as LatestPosition);
      p.ts = c.ts[j];
      p.latE6 = c.latE6[j];
      p.lonE6 = c.lonE6[j];
      p.speed = c.speed[j];
      p.direction = c.direction[j];
      p.status = c.status[j];
      p.alarm = c.alarm[j];
      p.odometer = c.odometer[j];
      if (!have) this.cache.set(terminal, p);
    }
  }

  /** Adds positions read from ClickHouse; newer ones already in memory stay. */
  seed(list: readonly LatestPosition[]): void {
    for (const p of list) this.offer(p);
    this.warmed = true;
  }

  get(terminal: string): LatestPosition | undefined {
    return this.cache.get<LatestPosition>(terminal);
  }

  all(): LatestPosition[] {
    const m = this.cache.mget<LatestPosition>(this.cache.keys());
    return Object.values(m);
  }

  /** Seeds from ClickHouse once (positions since `sinceS`); concurrent callers share the one query. */
  warm(db: Db, sinceS: number): Promise<void> {
    if (this.warmed) return Promise.resolve();
    this.warming ??= latestPositions(db, { sinceS }).then(
      (list) => this.seed(list),
      (err: unknown) => {
        this.warming = undefined; // the next request tries again
        throw err;
      },
    );
    return this.warming;
  }

  /** The given terminals: from memory, the rest from ClickHouse (any age; the terminal key prunes the read). */
  async lookup(db: Db, terminals: readonly string[]): Promise<LatestPosition[]> {
    const missing = terminals.filter((t) => !this.cache.has(t));
    if (missing.length > 0) for (const p of await latestPositions(db, { sinceS: EPOCH_2000, terminals: missing })) this.offer(p);
    return terminals.map((t) => this.get(t)).filter((p): p is LatestPosition => p !== undefined);
  }
}
