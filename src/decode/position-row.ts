/**
 * Decoded location → the row stored in ClickHouse's `positions` table (shared/CLICKHOUSE.md §2.1).
 * Runs in the decode workers for every stored position: no closures, one object, and the extras hex
 * built from values with fixed-arity String.fromCharCode (bench/decode.ts).
 */
import { extraItemsHex } from '../../protocols/jt808/messages/extras.js';
import type { Location } from '../../protocols/jt808/messages/location.js';

/**
 * One stored position. Declared here for now; the same fields live in src/store/rows.ts (to be merged).
 * Absent optional values use a 0 sentinel (CLICKHOUSE.md: no Nullable columns).
 */
export interface PositionRow {
  /** Canonical terminal id (header.terminalId). */
  terminal: string;
  /** Device time, epoch seconds UTC; 0 when the terminal sent no valid time (see toPositionRow). */
  ts: number;
  /** Gateway receive time, epoch seconds UTC. */
  recvTs: number;
  /** Signed micro-degrees; 0/0 when the terminal sent coordinates off the globe (Int32-safe). */
  latE6: number;
  lonE6: number;
  /** 0.1 km/h. */
  speed: number;
  direction: number;
  /** Metres, the unsigned wire WORD. */
  altitude: number;
  alarm: number;
  status: number;
  /** 0x01 odometer, 0.1 km; 0 = absent. */
  odometer: number;
  /** 0x02 fuel, 0.1 L; 0 = absent. */
  fuel: number;
  /** 0x31 satellites; 0 = absent. */
  satellites: number;
  /** 0x30 signal strength; 0 = absent. */
  signal: number;
  /** 1 for 0x0704 type 1 (blind-area) items. */
  backfill: 0 | 1;
  /**
   * Hex of the extra items that have no column above (all but the first 0x01/0x02/0x30/0x31), as
   * encode0200 writes them: ascending id order, i.e. the received bytes for the usual terminal; a
   * truncated last item is kept verbatim. '' if none.
   */
  extras: string;
}

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
