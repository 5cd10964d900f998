/**
 * Which distance a day reports, and why (rule set r1). The odometer is the legal reference and survives
 * reporting gaps; GPS distance is the cross-check and the fallback. The reason code is stored with the figure.
 */
import type { RollupRules } from './rules.js';

export type DistanceSource = 'odometer' | 'gps' | 'none';

export interface DistanceInput {
  gpsM: number;
  odoM: number;
  segments: number;
  gpsSegments: number;
  odoSegments: number;
  odoResets: number;
  odoJumps: number;
}

export interface DistanceChoice {
  distanceM: number;
  source: DistanceSource;
  rule: string;
}

export function chooseDistance(x: DistanceInput, r: RollupRules): DistanceChoice {
  const odo = (rule: string): DistanceChoice => ({ distanceM: x.odoM, source: 'odometer', rule });
  const gps = (rule: string): DistanceChoice => ({ distanceM: x.gpsM, source: 'gps', rule });
  if (x.odoSegments === 0 && x.gpsSegments === 0) {
    return x.segments === 0 ? { distanceM: 0, source: 'none', rule: 'no_segments' } : gps('no_odometer_no_movement');
  }
  if (x.odoSegments === 0) return gps('no_odometer');
  if (x.gpsSegments === 0) return odo(x.odoM === 0 ? 'no_movement' : 'no_gps');
  const corrected = x.odoResets + x.odoJumps > 0;
  const tolerance = Math.max(r.odoToleranceM, r.odoToleranceRatio * Math.max(x.gpsM, x.odoM));
  if (Math.abs(x.odoM - x.gpsM) <= tolerance) return odo(corrected ? 'odometer_corrected_agrees_gps' : 'odometer_agrees_gps');
  if (corrected) return gps('odometer_anomalies_disagree_gps');
  // Most segments must carry the odometer, else the meter saw only part of the day.
  if (x.odoSegments < 0.9 * x.segments) return gps('odometer_sparse_disagrees_gps');
  return odo('odometer_clean_disagrees_gps');
}
