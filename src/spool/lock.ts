// One process per spool directory: two writers appending to the same segment would interleave
// records. A `LOCK` file holds the owner's pid and boot id; it is stale (taken over) when that pid
// is gone, when the machine has rebooted since, or when the pid is ours but this process does not
// hold the lock (a restarted container whose gateway is pid 1 again). Pids are only meaningful
// within one pid namespace: do not share a spool directory between containers.
import fs from 'node:fs';
import path from 'node:path';
import { closeQuietly, writeFully, errorCode, type SpoolIo } from './io.js';

const LOCK = 'LOCK';
const held = new Set<string>();

function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '-'; // not Linux: rely on the pid alone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes the directory lock; resolves with its release function. */
export async function acquireLock(io: SpoolIo, dir: string): Promise<() => Promise<void>> {
  const key = path.resolve(dir);
  const file = path.join(dir, LOCK);
  const boot = bootId();
  if (held.has(key)) throw locked(dir, process.pid);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = await io.open(file, 'wx');
    } catch (err) {
      if (errorCode(err) !== 'EEXIST' || attempt > 0) throw err;
      const owner = await readOwner(io, file);
      const stale =
        owner === undefined || owner.boot !== boot || !alive(owner.pid) || owner.pid === process.pid;
      if (!stale) throw locked(dir, owner.pid);
      await io.unlink(file);
      continue;
    }
    try {
      const body = Buffer.from(`${process.pid} ${boot}\n`);
      await writeFully(io, fd, body, 0, body.length, 0);
    } finally {
      await closeQuietly(io, fd);
    }
    held.add(key);
    return async () => {
      held.delete(key);
      try {
        await io.unlink(file);
      } catch {
        // already gone; nothing to release
      }
    };
  }
}

function locked(dir: string, pid: number): Error {
  return Object.assign(new Error(`spool ${dir} is already open (pid ${pid})`), { code: 'FG_SPOOL_LOCKED' });
}

async function readOwner(io: SpoolIo, file: string): Promise<{ pid: number; boot: string } | undefined> {
  try {
    const fd = await io.open(file, 'r');
    try {
      const buf = Buffer.alloc(128);
      const n = await io.read(fd, buf, 0, buf.length, 0);
      const [pidText, boot = '-'] = buf.toString('utf8', 0, n).trim().split(' ');
      const pid = Number.parseInt(pidText, 10);
      return Number.isSafeInteger(pid) && pid > 0 ? { pid, boot } : undefined;
    } finally {
      await closeQuietly(io, fd);
    }
  } catch {
    return undefined; // unreadable or vanished: stale
  }
}
