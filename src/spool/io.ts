// The few file operations the spool uses, behind one interface so tests can inject failures
// (ENOSPC, EIO) and slow disks. Numeric fds and the fs callback API: each call is one libuv
// thread-pool job, no FileHandle objects to leak or finalise.
import fs from 'node:fs';

export interface FileInfo {
  size: number;
  mtimeMs: number;
}

export interface SpoolIo {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  /** Positional read; resolves with the bytes read (0 at end of file). */
  read(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  /** Positional write; may write fewer bytes than asked (the caller loops). */
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, len: number): Promise<void>;
  fstat(fd: number): Promise<FileInfo>;
  stat(path: string): Promise<FileInfo>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
}

function done(resolve: () => void, reject: (e: Error) => void) {
  return (err: NodeJS.ErrnoException | null) => (err ? reject(err) : resolve());
}

export const nodeIo: SpoolIo = {
  open: (path, flags) => new Promise((res, rej) => fs.open(path, flags, 0o644, (e, fd) => (e ? rej(e) : res(fd)))),
  close: (fd) => new Promise((res, rej) => fs.close(fd, done(res, rej))),
  read: (fd, buf, off, len, pos) =>
    new Promise((res, rej) => fs.read(fd, buf, off, len, pos, (e, n) => (e ? rej(e) : res(n)))),
  write: (fd, buf, off, len, pos) =>
    new Promise((res, rej) => fs.write(fd, buf, off, len, pos, (e, n) => (e ? rej(e) : res(n)))),
  fdatasync: (fd) => new Promise((res, rej) => fs.fdatasync(fd, done(res, rej))),
  fsync: (fd) => new Promise((res, rej) => fs.fsync(fd, done(res, rej))),
  ftruncate: (fd, len) => new Promise((res, rej) => fs.ftruncate(fd, len, done(res, rej))),
  fstat: (fd) =>
    new Promise((res, rej) => fs.fstat(fd, (e, s) => (e ? rej(e) : res({ size: s.size, mtimeMs: s.mtimeMs })))),
  stat: (path) =>
    new Promise((res, rej) => fs.stat(path, (e, s) => (e ? rej(e) : res({ size: s.size, mtimeMs: s.mtimeMs })))),
  readdir: (path) => new Promise((res, rej) => fs.readdir(path, (e, names) => (e ? rej(e) : res(names)))),
  rename: (from, to) => new Promise((res, rej) => fs.rename(from, to, done(res, rej))),
  unlink: (path) => new Promise((res, rej) => fs.unlink(path, done(res, rej))),
  mkdir: (path) => new Promise((res, rej) => fs.mkdir(path, { recursive: true }, done(res, rej))),
};

/** Makes a rename, creation or deletion in `dir` durable (POSIX needs an fsync of the directory). */
export async function fsyncDir(io: SpoolIo, dir: string): Promise<void> {
  const fd = await io.open(dir, 'r');
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

/** Writes all of buf[off, off + len) at file position pos, looping over short writes. */
export async function writeFully(
  io: SpoolIo, fd: number, buf: Uint8Array, off: number, len: number, pos: number,
): Promise<void> {
  while (len > 0) {
    const n = await io.write(fd, buf, off, len, pos);
    // A zero-byte write would loop forever; treat it as the disk refusing.
    if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
    off += n;
    len -= n;
    pos += n;
  }
}

/** Closes fd, ignoring errors: used on paths that are already failing or tearing down. */
export async function closeQuietly(io: SpoolIo, fd: number): Promise<void> {
  try {
    await io.close(fd);
  } catch {
    // nothing useful to do: the fd is gone either way on Linux
  }
}

export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
