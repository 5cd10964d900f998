/**
 * Row shapes the decode workers hand to the sink. One row = one stored ClickHouse row; field units are
 * the JT808 wire units (SPEC.md §7.9), so nothing is converted or rounded on the way in.
 */
import type { InsertFormat } from './db.js';

/** One 0x0200 (or one 0x0704 item). */
export interface PositionRow {
  /** Canonical terminal id: the BCD phone number with leading zeros stripped (`'13800138000'`). */
  terminal: string;
  /** Device (GNSS) time, epoch seconds UTC (the codec applies the terminal's UTC offset). */
  ts: number;
  /** Gateway receive time, epoch seconds UTC. */
  recvTs: number;
  /** Signed micro-degrees (hemisphere bits already applied). */
  latE6: number;
  lonE6: number;
  /** 0.1 km/h. */
  speed: number;
  /** 0–359 degrees. */
  direction: number;
  /** Metres. */
  altitude: number;
  /** Alarm flags DWORD (§7.9.2). */
  alarm: number;
  /** Status DWORD (§7.9.1); bit 0 = ACC, bit 1 = positioned. */
  status: number;
  /** Extra item 0x01, 0.1 km; 0 = absent. */
  odometer: number;
  /** Extra item 0x02, 0.1 L; 0 = absent. */
  fuel: number;
  /** Extra item 0x31; 0 = absent. */
  satellites: number;
  /** Extra item 0x30; 0 = absent. */
  signal: number;
  /** 1 when the row came from a 0x0704 blind-area (type 1) upload. */
  backfill: 0 | 1;
  /**
   * The remaining extra items as lower-case hex of their raw TLV bytes (`id len value…`, in wire order),
   * `''` when none. Stored as binary (half the size of hex) where the server can convert on insert.
   */
  extras: string;
}

/**
 * A row's numeric columns, `ts` to `backfill`: a PositionRow, or the scratch the RowBinary decode path reads a
 * 0x0200 into (src/decode/read-position.ts) so that it builds no row object.
 */
export type PositionNumbers = Omit<PositionRow, 'terminal' | 'extras'>;

/** An ACC transition seen by the decoder (status bit 0 flipped between consecutive reports of a terminal). */
export interface IgnitionEventRow {
  terminal: string;
  /** Device time of the first report in the new state, epoch seconds UTC. */
  ts: number;
  on: 0 | 1;
  latE6: number;
  lonE6: number;
}

/** Registration/authentication facts (0x0100/0x0102) about a terminal; the newest `lastSeen` wins. */
export interface TerminalRow {
  terminal: string;
  /** 0x0100 fields. */
  province: number;
  city: number;
  manufacturer: string;
  model: string;
  deviceId: string;
  plateColor: number;
  plate: string;
  authCode: string;
  /** 2011 | 2013 | 2019 (header/body layout the terminal speaks). */
  protocolVersion: number;
  /** Epoch seconds; the writer carries the earliest it knows (min is taken on read as well). */
  firstSeen: number;
  lastSeen: number;
}

/** Rows as a row-producing decode returns them (tests, benches; the decoder before encoding). */
export interface RowBatch {
  positions: PositionRow[];
  ignition: IgnitionEventRow[];
  terminals?: TerminalRow[];
}

/** What the sink tells the decode stage, per read, so positions are encoded for its server. */
export interface EncodeContext {
  format: InsertFormat;
  /** `extras_hex` where the server stores binary through EPHEMERAL, else `extras`. */
  extrasColumn: 'extras' | 'extras_hex';
  timezone: string;
  /** First second of today in `timezone`: valid rows before it leave restatement marks. */
  todayStart: number;
}

/**
 * The valid positions of one read as columns, ordered by (terminal index, ts): what the main thread still
 * reads (ignition, track-cache invalidation) without a row object per position.
 */
export interface PositionColumns {
  /** Distinct terminal ids; `terminal[i]` indexes this table. */
  terminals: string[];
  terminal: Uint32Array;
  ts: Uint32Array;
  status: Uint32Array;
  latE6: Int32Array;
  lonE6: Int32Array;
  alarm: Uint32Array;
  odometer: Uint32Array;
  speed: Uint16Array;
  direction: Uint16Array;
  /** Per terminal index: the row that may become its latest position (the newest), or -1. */
  latest: Int32Array;
}

/** Late rows of one (local day, terminal): the rollup restates that day. */
export interface LateMark {
  day: string;
  terminal: string;
  rows: number;
  backfill: number;
}

/** The positions of one read, validated and encoded (in the decode worker when there is one). */
export interface EncodedPositions {
  /** The valid rows as insert-format lines, in read order; its own ArrayBuffer (transferred, never pooled). */
  body: Uint8Array;
  rows: number;
  rejected: number;
  /** Oldest receive time among the valid rows (Infinity when none). */
  minRecvTs: number;
  columns: PositionColumns;
  marks: LateMark[];
}

/** What the injected decode function returns for one read of spool records. */
export interface DecodedBatch {
  positions: EncodedPositions;
  /** Derived on the main thread (the tracker's state lives there). */
  ignition: IgnitionEventRow[];
  terminals?: TerminalRow[];
}
