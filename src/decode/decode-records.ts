/**
 * Spool records → rows for ClickHouse. Runs in the decode workers (or on the main thread when
 * FLEETGATE_DECODE_THREADS=0). A record that does not decode is counted, never fatal: the frame was
 * valid enough to be answered, and its bytes stay in the spool's raw archive.
 */
import { canonicalTerminalId, canonicalTerminalIdAt } from '../../protocols/jt808/bcd.js';
import { readLocation, decode0704, type Location } from '../../protocols/jt808/messages/location.js';
import { decode0100 } from '../../protocols/jt808/messages/register.js';
import type { PositionRow, TerminalRow } from '../store/rows.js';
import { AT_FLAGS, AT_MSG_ID, FLAG_FRAGMENT, RECORD_FIXED_BYTES, readRecord, recordBodyStart, recordUtcOffset, type DecodedRecord } from './record.js';
import { toPositionRow } from './position-row.js';

/** A spooled record as the sink reads it (the spool's record type, minus what decoding ignores). */
export interface SpooledRecord {
  stampMs: number;
  data: Buffer;
}

export interface DecodeStats {
  records: number;
  positions: number;
  /** Records whose body did not decode (by message id and error code). */
  failed: number;
  /** Records ignored on purpose (fragments, heartbeats, replies with no rows). */
  skipped: number;
}

const LOCATION_BASIC_LENGTH = 28;
const MEDIA_HEADER_LENGTH = 8;

export interface DecodedRecords {
  positions: PositionRow[];
  terminals: TerminalRow[];
  stats: DecodeStats;
}

/**
 * Offset of the body of a record that may hold rows; -1 for one that does not (counted in `stats`: failed when
 * the bytes are not a record, skipped for a fragment). The first step of every decode path.
 */
export function storableBodyStart(data: Uint8Array, stats: DecodeStats): number {
  const bodyStart = recordBodyStart(data);
  if (bodyStart < 0) stats.failed++;
  else if ((data[AT_FLAGS] & FLAG_FRAGMENT) !== 0) {
    stats.skipped++;
    return -1;
  }
  return bodyStart;
}

/** A 0x0200 record (nearly every record): the paths read these in place. */
export function isLocationReport(data: Uint8Array): boolean {
  return data[AT_MSG_ID] === 0x02 && data[AT_MSG_ID + 1] === 0x00;
}

export function decodeRecords(records: readonly SpooledRecord[]): DecodedRecords {
  const positions: PositionRow[] = [];
  const terminals: TerminalRow[] = [];
  const stats: DecodeStats = { records: records.length, positions: 0, failed: 0, skipped: 0 };
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const data = r.data;
    const bodyStart = storableBodyStart(data, stats);
    if (bodyStart < 0) continue;
    const recvTs = Math.floor(r.stampMs / 1000);
    // 0x0200 (nearly every record) is read in place: no record object, phone string or body view.
    if (isLocationReport(data)) {
      const d = readLocation(data, bodyStart, data.length, recordUtcOffset(data));
      if (!d.ok) stats.failed++;
      else pushPosition(positions, canonicalTerminalIdAt(data, RECORD_FIXED_BYTES, bodyStart), d.value, recvTs, 0);
      continue;
    }
    if (!decodeOne(readRecord(data)!, recvTs, positions, terminals)) stats.failed++;
  }
  stats.positions = positions.length;
  return { positions, terminals, stats };
}

/**
 * Every message but 0x0200 (read in place above, and by decode-row-binary.ts); pushes its rows and registrations,
 * returns false when the body does not decode.
 */
export function decodeOne(rec: DecodedRecord, recvTs: number, positions: PositionRow[], terminals: TerminalRow[]): boolean {
  const opts = { layout: rec.layout, utcOffsetMinutes: rec.utcOffsetMinutes };
  const terminal = canonicalTerminalId(rec.phoneBcd);
  switch (rec.msgId) {
    case 0x0201: {
      // WORD reply serial, then a 0x0200 body (SPEC §7.10).
      const d = readLocation(rec.body, 2, rec.body.length, rec.utcOffsetMinutes);
      if (!d.ok) return false;
      pushPosition(positions, terminal, d.value, recvTs, 0);
      return true;
    }
    case 0x0704: {
      const d = decode0704(rec.body, opts);
      if (!d.ok) return false;
      const backfill = d.value.type === 1 ? 1 : 0;
      for (const loc of d.value.items) pushPosition(positions, terminal, loc, recvTs, backfill);
      return true;
    }
    case 0x0801: {
      // 2013/2019: 8-byte media header, then the 28-byte basic location where the capture started.
      if (rec.body.length < MEDIA_HEADER_LENGTH + LOCATION_BASIC_LENGTH) return true; // 2011 layout: no location
      const d = readLocation(rec.body, MEDIA_HEADER_LENGTH, MEDIA_HEADER_LENGTH + LOCATION_BASIC_LENGTH, rec.utcOffsetMinutes);
      if (!d.ok) return false;
      pushPosition(positions, terminal, d.value, recvTs, 0);
      return true;
    }
    case 0x0100: {
      const d = decode0100(rec.body, opts);
      if (!d.ok) return false;
      const v = d.value;
      terminals.push({
        terminal,
        province: v.province,
        city: v.city,
        manufacturer: v.makerId,
        model: v.model,
        deviceId: v.terminalId,
        plateColor: v.plateColor,
        plate: v.plate || v.vin || '',
        authCode: '', // codes live in the gateway's registry, never in the analytics store
        protocolVersion: Number(v.version),
        firstSeen: recvTs,
        lastSeen: recvTs,
      });
      return true;
    }
    default:
      return true; // heartbeats, auth, replies: nothing to store as rows
  }
}

function pushPosition(out: PositionRow[], terminal: string, loc: Location, recvTs: number, backfill: 0 | 1): void {
  // A report without a valid device time cannot be placed on a track; it was answered and stays in the raw archive.
  if (loc.time === null) return;
  out.push(toPositionRow(terminal, loc, recvTs, backfill));
}
