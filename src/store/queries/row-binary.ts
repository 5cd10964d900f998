/**
 * A cursor over a RowBinary result (Db.queryBytes): fixed-width little-endian numbers, strings as a LEB128
 * length and bytes. The SQL pins every column's type (toUInt32(…), toInt64(…)) so the layout cannot drift.
 * For the wide reads (fleet report: 30,000 rows × 11 columns) this leaves no per-field strings for the GC,
 * unlike TSV split into lines and cells (bench/api.ts; RESULTS.md "API: what was measured and changed").
 */
export class RowBinaryReader {
  private o = 0;
  constructor(private readonly b: Buffer) {}

  get done(): boolean {
    return this.o >= this.b.length;
  }

  u32(): number {
    const v = this.b.readUInt32LE(this.o);
    this.o += 4;
    return v;
  }

  /** UInt64 as a Number (exact below 2^53, which sums of metres and seconds stay under). */
  u64(): number {
    const v = this.b.readUInt32LE(this.o) + this.b.readUInt32LE(this.o + 4) * 2 ** 32;
    this.o += 8;
    return v;
  }

  i64(): number {
    const v = this.b.readUInt32LE(this.o) + this.b.readInt32LE(this.o + 4) * 2 ** 32;
    this.o += 8;
    return v;
  }

  str(): string {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.b[this.o++];
      len += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    const s = this.b.toString('utf8', this.o, this.o + len);
    this.o += len;
    return s;
  }
}
