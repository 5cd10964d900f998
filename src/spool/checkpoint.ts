// Consumer checkpoints: one small file per consumer, `<name>.ckpt`, holding the position up to
// which that consumer has safely stored what it read.
//
// Created atomically (temp file, fsync, rename, fsync directory). Updated in place in two slots
// (4 KiB apart, so on different pages): update n goes to slot n % 2 with a sequence number and a
// CRC, then fdatasync; the reader takes the valid slot with the highest sequence. A crash mid-write
// tears at most the slot being written, and the other still holds the previous checkpoint.
// Why not temp + rename on every commit: that allocates a new file each time, so on a full disk
// (ENOSPC) the sink could not commit, so consumed segments could not be deleted, so space never
// came back. Overwriting existing blocks needs no space, and costs one fsync instead of two.
//
// Each slot is a line of text, readable with `cat`: `fgckpt1 <seq> <position> <crc32 hex>`.
import path from 'node:path';
import { crc32 } from './crc32.js';
import { closeQuietly, fsyncDir, writeFully, type SpoolIo } from './io.js';

const SUFFIX = '.ckpt';
const TMP_SUFFIX = '.ckpt.tmp';
const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SLOT_BYTES = 64;
const SLOT_STRIDE = 4096;
const FILE_BYTES = SLOT_STRIDE + SLOT_BYTES;
const LINE = /^fgckpt1 (\d{16}) (\d{16}) ([0-9a-f]{8}) *\n$/;

export function assertConsumerName(name: string): void {
  if (!VALID_NAME.test(name)) {
    throw new TypeError(`spool consumer name must match ${VALID_NAME}: ${JSON.stringify(name)}`);
  }
}

function fileOf(dir: string, name: string): string {
  return path.join(dir, name + SUFFIX);
}

function encodeSlot(seq: number, position: number): Buffer {
  const body = `fgckpt1 ${String(seq).padStart(16, '0')} ${String(position).padStart(16, '0')}`;
  const bytes = Buffer.from(body, 'latin1');
  const crc = crc32(bytes, 0, bytes.length).toString(16).padStart(8, '0');
  return Buffer.from(`${body} ${crc}`.padEnd(SLOT_BYTES - 1, ' ') + '\n', 'latin1');
}

/** The slot's { seq, position }, or undefined if blank, torn or damaged. */
function decodeSlot(buf: Buffer, off: number): { seq: number; position: number } | undefined {
  const m = LINE.exec(buf.toString('latin1', off, off + SLOT_BYTES));
  if (m === null) return undefined;
  const body = Buffer.from(`fgckpt1 ${m[1]} ${m[2]}`, 'latin1');
  if (crc32(body, 0, body.length) !== Number.parseInt(m[3], 16)) return undefined;
  return { seq: Number(m[1]), position: Number(m[2]) };
}

/** An open checkpoint file; update() overwrites the older slot. One update at a time. */
export class CheckpointFile {
  private constructor(
    private readonly io: SpoolIo,
    private fd: number,
    private seq: number,
  ) {}

  /** Creates `<name>.ckpt` holding position, atomically, and opens it for updates. */
  static async create(io: SpoolIo, dir: string, name: string, position: number): Promise<CheckpointFile> {
    const tmp = path.join(dir, name + TMP_SUFFIX);
    const body = Buffer.alloc(FILE_BYTES, ' ');
    body[SLOT_STRIDE - 1] = 0x0a;
    encodeSlot(1, position).copy(body, SLOT_STRIDE); // sequence 1 lives in slot 1
    let fd = await io.open(tmp, 'w');
    try {
      await writeFully(io, fd, body, 0, body.length, 0);
      await io.fsync(fd);
    } finally {
      await closeQuietly(io, fd);
    }
    await io.rename(tmp, fileOf(dir, name));
    await fsyncDir(io, dir);
    fd = await io.open(fileOf(dir, name), 'r+');
    return new CheckpointFile(io, fd, 1);
  }

  /** Opens an existing checkpoint for updates; resolves undefined if there is none. */
  static async open(io: SpoolIo, dir: string, name: string): Promise<CheckpointFile | undefined> {
    let fd: number;
    try {
      fd = await io.open(fileOf(dir, name), 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const { seq } = await readSlots(io, fd, fileOf(dir, name));
      return new CheckpointFile(io, fd, seq);
    } catch (err) {
      await closeQuietly(io, fd);
      throw err;
    }
  }

  async update(position: number): Promise<void> {
    const next = this.seq + 1;
    const slot = encodeSlot(next, position);
    await writeFully(this.io, this.fd, slot, 0, SLOT_BYTES, (next % 2) * SLOT_STRIDE);
    await this.io.fdatasync(this.fd);
    this.seq = next; // only now: a failed attempt is retried into the same slot
  }

  async close(): Promise<void> {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      await closeQuietly(this.io, fd);
    }
  }
}

async function readSlots(io: SpoolIo, fd: number, file: string): Promise<{ seq: number; position: number }> {
  const buf = Buffer.alloc(FILE_BYTES);
  let n = 0;
  while (n < FILE_BYTES) {
    const got = await io.read(fd, buf, n, FILE_BYTES - n, n);
    if (got <= 0) break;
    n += got;
  }
  const a = n >= SLOT_BYTES ? decodeSlot(buf, 0) : undefined;
  const b = n >= FILE_BYTES ? decodeSlot(buf, SLOT_STRIDE) : undefined;
  const best = a && b ? (a.seq > b.seq ? a : b) : (a ?? b);
  // Refuse to guess: silently restarting a consumer at 0 or at the head would replay or lose data.
  if (best === undefined) throw new Error(`spool checkpoint ${file} is unreadable (no valid slot)`);
  return best;
}

/** All persisted checkpoints in dir; removes temp files left by a crash mid-creation. */
export async function readCheckpoints(io: SpoolIo, dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const file of await io.readdir(dir)) {
    if (file.endsWith(TMP_SUFFIX)) {
      await io.unlink(path.join(dir, file));
      continue;
    }
    if (!file.endsWith(SUFFIX)) continue;
    const name = file.slice(0, -SUFFIX.length);
    if (!VALID_NAME.test(name)) continue;
    const fd = await io.open(path.join(dir, file), 'r');
    try {
      out.set(name, (await readSlots(io, fd, path.join(dir, file))).position);
    } finally {
      await closeQuietly(io, fd);
    }
  }
  return out;
}

export async function removeCheckpoint(io: SpoolIo, dir: string, name: string): Promise<void> {
  try {
    await io.unlink(fileOf(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fsyncDir(io, dir);
}
