/**
 * The rule set behind every daily figure and trip. Its id (with the parameters) is stored on each row, so a
 * figure can always be traced to the rules that produced it, and a change of rules is a visible restatement.
 */

export interface RollupRules {
  /** A reporting gap longer than this (s) counts as neither driving, idling nor parked time, and ends a trip. */
  gapS: number;
  /** At or above this speed (0.1 km/h) with ACC on = driving; below = idling. */
  movingSpeed: number;
  /** A GPS segment implying more than this (m/s) is a jump: its distance is dropped and counted. */
  maxSpeedMps: number;
  /** A GPS segment counts only when an end reports moving speed or it spans at least this (m): parked drift adds nothing. */
  driftM: number;
  /** A fuel-level rise of at least this (0.1 L) between two readings is a refuel. */
  refuelDl: number;
  /** Trips shorter than this (s) are counted apart (short_trips), not as trips. */
  minTripS: number;
  /** ACC off for less than this (s) between two ACC-on runs is flicker: one trip. */
  mergeOffS: number;
  /** Odometer and GPS agree when they differ by at most max(this ratio × the larger, odoToleranceM). */
  odoToleranceRatio: number;
  odoToleranceM: number;
  /** A fix counts for GPS distance only with status bit 1 (positioned) set. */
  requireFixBit: boolean;
  /** A trip is followed at most this long (s) past the end of its day; longer ones end as 'cut'. */
  lookaheadS: number;
}

export const DEFAULT_RULES: Readonly<RollupRules> = {
  gapS: 300,
  movingSpeed: 50,
  maxSpeedMps: 70,
  driftM: 30,
  refuelDl: 50,
  minTripS: 60,
  mergeOffS: 60,
  odoToleranceRatio: 0.1,
  odoToleranceM: 1000,
  requireFixBit: true,
  lookaheadS: 4 * 3600,
};

export function rulesId(r: RollupRules): string {
  return (
    `r1;gap=${r.gapS};mov=${r.movingSpeed};vmax=${r.maxSpeedMps};drift=${r.driftM};refuel=${r.refuelDl};` +
    `trip=${r.minTripS};merge=${r.mergeOffS};tol=${r.odoToleranceRatio}/${r.odoToleranceM};fix=${r.requireFixBit ? 1 : 0};` +
    `ahead=${r.lookaheadS}`
  );
}

/** Seconds read before the day: enough for the segment that crosses midnight and for ACC flicker merging. */
export function lookbackS(r: RollupRules): number {
  return r.gapS + r.mergeOffS + 60;
}
