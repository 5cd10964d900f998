/**
 * Spool records → the sink's read in RowBinary (the embedded engine), in one pass: each 0x0200 is read from its
 * record into a reused scratch (read-position.ts), checked, and written straight into the body, its columns staged
 * as it goes; no Location, row object, id string per record or extras hex. The rest (0x0704, 0x0201, 0x0801,
 * 0x0100) keeps the object path (decode-records.ts decodeOne, then the RowBinary writer) in the same pass, so rows
 * keep read order. The result is exactly decodeRecords + encodePositions' (test/decode/decode-row-binary.test.ts;
 * CPU per record: bench/decode-read.ts).
 */
import { LOCATION_BASIC_LENGTH } from '../../protocols/jt808/messages/location.js';
import { zoneFor } from '../store/encode-positions.js';
import { CHUNK_ROWS, growScratch, inSlices, scratchBytes, takeScratch, validPosition, validPositionNumbers } from '../store/encode.js';
import { stagedLateMarks } from '../store/late-marks.js';
import { RowStage, stagedColumns } from '../store/position-columns.js';
import {
  FIXED_BYTES,
  lengthBytes,
  rowBinaryMaxBytes,
  writeLength,
  writePositionNumbers,
  writePositionRowBinary,
  writeTerminal,
} from '../store/position-row-binary.js';
import type { EncodeContext, PositionRow, TerminalRow } from '../store/rows.js';
import type { DecodedRead } from './decode-read.js';
import { decodeOne, isLocationReport, storableBodyStart, type DecodeStats, type SpooledRecord } from './decode-records.js';
import { PositionScratch, READ_FAILED, READ_NO_TIME, readPositionAt } from './read-position.js';
import { RECORD_FIXED_BYTES, readRecord, recordUtcOffset } from './record.js';
import { TerminalSlots } from './terminal-slots.js';

const NO_BYTES = new Uint8Array(0);

/** One read in progress. Reused across reads (its arrays keep their size); held by one read at a time. */
class RowBinaryRead {
  private b: Uint8Array = NO_BYTES;
  private at = 0;
  private total = 0;
  private readonly stage = new RowStage();
  private readonly slots = new TerminalSlots();
  private readonly row = new PositionScratch();
  /** decodeOne's rows for the record at hand. */
  private readonly objects: PositionRow[] = [];
  private terminals: TerminalRow[] = [];
  private stats: DecodeStats = { records: 0, positions: 0, failed: 0, skipped: 0 };
  private minRecvTs = Infinity;

  begin(total: number): void {
    this.b = takeScratch();
    this.at = 0;
    this.total = total;
    this.stage.reset();
    this.slots.nextRead();
    this.terminals = [];
    this.stats = { records: total, positions: 0, failed: 0, skipped: 0 };
    this.minRecvTs = Infinity;
  }

  /** Decodes and writes records[from, to). */
  records(records: readonly SpooledRecord[], from: number, to: number): void {
    const stats = this.stats;
    for (let i = from; i < to; i++) {
      const r = records[i];
      const data = r.data;
      const bodyStart = storableBodyStart(data, stats);
      if (bodyStart < 0) continue;
      const recvTs = Math.floor(r.stampMs / 1000);
      if (isLocationReport(data)) this.location(data, bodyStart, recvTs, i);
      else {
        if (!decodeOne(readRecord(data)!, recvTs, this.objects, this.terminals)) stats.failed++;
        this.objectRows(i);
      }
    }
  }

  /** A 0x0200 record, read in place: the row goes in the body unless validPosition would reject it. */
  private location(data: Buffer, bodyStart: number, recvTs: number, i: number): void {
    const slots = this.slots;
    const slot = slots.atPhone(data, RECORD_FIXED_BYTES, bodyStart);
    const id = slots.ids[slot];
    const idOk = slots.ok[slot];
    // The extras go where they end up in the row, after the terminal, the numbers and a length with room for
    // the most they can be (moved left in the rare case the length takes fewer bytes).
    const most = Math.max(0, data.length - bodyStart - LOCATION_BASIC_LENGTH);
    const room = lengthBytes(most);
    const numbersAt = this.at + (idOk ? 1 + id.length : 0); // a valid id is ≤ 32 bytes: a 1-byte length
    const extrasAt = numbersAt + FIXED_BYTES + room;
    this.ensure(extrasAt + most, i);
    const row = this.row;
    const n = readPositionAt(data, bodyStart, data.length, recordUtcOffset(data), row, this.b, extrasAt);
    if (n === READ_FAILED) {
      this.stats.failed++;
      return;
    }
    if (n === READ_NO_TIME) return;
    this.stats.positions++;
    row.recvTs = recvTs;
    row.backfill = 0;
    if (!idOk || !validPositionNumbers(row)) return; // rejected: counted by positions - rows
    const b = this.b;
    writeTerminal(b, this.at, id);
    let w = writePositionNumbers(row, b, numbersAt);
    const used = lengthBytes(n);
    if (used < room) b.copyWithin(w + used, extrasAt, extrasAt + n);
    w = writeLength(b, w, n);
    this.at = w + n;
    this.stage.push(slots.columnOf(slot, this.stage), row);
    if (recvTs < this.minRecvTs) this.minRecvTs = recvTs;
  }

  /** decodeOne's rows, as encodeBytes writes them. */
  private objectRows(i: number): void {
    const list = this.objects;
    for (let j = 0; j < list.length; j++) {
      const r = list[j];
      this.stats.positions++;
      if (!validPosition(r)) continue;
      this.ensure(this.at + rowBinaryMaxBytes(r), i);
      this.at = writePositionRowBinary(r, this.b, this.at);
      this.stage.push(this.slots.columnOf(this.slots.of(r.terminal), this.stage), r);
      if (r.recvTs < this.minRecvTs) this.minRecvTs = r.recvTs;
    }
    list.length = 0;
  }

  /** Room for `need` bytes in the body, sized from the bytes per record so far when it grows. */
  private ensure(need: number, i: number): void {
    if (need > this.b.length) this.b = growScratch(this.b, this.at, need, (this.at / (i + 1)) * this.total * 1.1);
  }

  finish(ctx: EncodeContext): DecodedRead {
    const body = scratchBytes(this.b, this.at);
    this.b = NO_BYTES;
    const s = this.stage;
    const positions = {
      body,
      rows: s.n,
      rejected: this.stats.positions - s.n,
      minRecvTs: this.minRecvTs,
      columns: stagedColumns(s),
      marks: stagedLateMarks(s, zoneFor(ctx.timezone), ctx.todayStart),
    };
    return { positions, ignition: [], terminals: this.terminals, stats: this.stats };
  }
}

/** A RowBinaryRead not in use (calls on the main thread may interleave: each takes its own). */
let spare: RowBinaryRead | null = null;

/** decodeRead for ctx.format 'RowBinary': the same result as decodeRecords + encodePositions. */
export async function decodeReadRowBinary(records: readonly SpooledRecord[], ctx: EncodeContext): Promise<DecodedRead> {
  const read = spare ?? new RowBinaryRead();
  spare = null;
  read.begin(records.length);
  // Yields between slices, as encodeBytes does, for the main thread (FLEETGATE_DECODE_THREADS=0).
  await inSlices(records.length, CHUNK_ROWS, (from, to) => read.records(records, from, to));
  const out = read.finish(ctx);
  spare = read;
  return out;
}
