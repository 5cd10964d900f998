/**
 * Decoded location → the row stored in ClickHouse's `positions` table (shared/CLICKHOUSE.md §2.1).
 * Runs in the decode workers for every stored position: no closures, one object, and the extras hex
 * built from values with fixed-arity String.fromCharCode (bench/decode.ts).
 */
import { extraItemsHex } from '../../protocols/jt808/messages/extras.js';
import type { Location } from '../../protocols/jt808/messages/location.js';
import type { PositionRow } from '../store/rows.js';

export type { PositionRow };

/**
 * Builds the stored row. `recvTs` is the gateway receive time in epoch SECONDS; `backfill` is 1 for
 * blind-area items. A location without a valid device time gets `ts: 0`: the caller decides whether
 * to store it (it cannot be placed on the track). Coordinates beyond ±90°/±180° (`coordinatesValid`
 * false: swapped, or two's-complement negatives, SPEC §10.8) are stored as 0/0, the "no fix" value the
 * queries already skip, which also keeps them inside the Int32 columns; the raw frame stays in the spool.
 */
export function toPositionRow(terminalId: string, loc: Location, recvTs: number, backfill: 0 | 1): PositionRow {
  return {
    terminal: terminalId,
    ts: loc.time === null ? 0 : Math.floor(loc.time / 1000),
    recvTs,
    latE6: loc.coordinatesValid ? loc.latE6 : 0,
    lonE6: loc.coordinatesValid ? loc.lonE6 : 0,
    speed: loc.speedRaw,
    direction: loc.direction,
    altitude: loc.altitudeM,
    alarm: loc.alarm,
    status: loc.status,
    odometer: loc.mileageRaw ?? 0,
    fuel: loc.fuelRaw ?? 0,
    satellites: loc.satellites ?? 0,
    signal: loc.rssi ?? 0,
    backfill,
    extras: extraItemsHex(loc, false),
  };
}
