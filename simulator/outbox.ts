/**
 * What leaves one terminal's socket: the frames of a turn, written once, with the stream faults
 * applied (SPEC §3.3 — what a gateway's splitter must survive): sticky (several turns' frames in one
 * write) and split (a write cut in two, often between 0x7d and its 01/02, the tail a tick later).
 * Honours backpressure: after a `false` from write() the terminal stops producing until 'drain'.
 */
import type { Socket } from 'node:net';
import type { Rng } from './rng.js';
import type { Stats } from './stats.js';

/** The shared output arena: a terminal writes its frames here, then they are copied out in one write. */
export interface Arena {
  buf: Buffer;
  len: number;
}

export interface OutboxEnv {
  out: Arena;
  rng: Rng;
  stats: Stats;
  tickMs: number;
  sticky: number;
  split: number;
  /** No holding back once the run is over. */
  final: boolean;
}

export class Outbox {
  /** Bytes kept for a later write (sticky hold or split tail). */
  private held: Buffer | null = null;
  /** When the held bytes must go out at the latest. */
  heldUntil = Infinity;
  private heldTurns = 0;
  /** write() returned false: wait for 'drain'. */
  blocked = false;

  get holding(): boolean {
    return this.held !== null;
  }

  reset(): void {
    this.held = null;
    this.heldUntil = Infinity;
    this.heldTurns = 0;
    this.blocked = false;
  }

  /**
   * Writes the arena's frames (after any held bytes) to `socket`. The arena is copied: the socket
   * may keep the buffer after write() returns, and the arena is reused by the next terminal.
   */
  flush(socket: Socket | null, env: OutboxEnv, now: number): void {
    const out = env.out;
    if (out.len === 0 && this.held === null) return;
    if (socket === null || (this.blocked && out.len === 0)) {
      out.len = 0;
      return;
    }
    let data: Buffer;
    if (this.held !== null) {
      data = out.len === 0 ? this.held : Buffer.concat([this.held, out.buf.subarray(0, out.len)]);
      this.held = null;
      this.heldUntil = Infinity;
    } else {
      data = Buffer.allocUnsafe(out.len);
      out.buf.copy(data, 0, 0, out.len);
    }
    out.len = 0;
    const rng = env.rng;
    if (env.sticky > 0 && this.heldTurns < 3 && !env.final && rng.next() < env.sticky) {
      this.held = data;
      this.heldUntil = now + env.tickMs;
      this.heldTurns++;
      env.stats.stickyWrites++;
      return;
    }
    this.heldTurns = 0;
    if (env.split > 0 && data.length > 1 && rng.next() < env.split) {
      const esc = data.indexOf(0x7d);
      const cut = esc >= 0 && esc < data.length - 1 && rng.next() < 0.5 ? esc + 1 : 1 + Math.floor(rng.next() * (data.length - 1));
      this.write(socket, data.subarray(0, cut), env.stats);
      this.held = data.subarray(cut);
      this.heldUntil = now + env.tickMs;
      this.heldTurns = 3; // a tail is not held again
      env.stats.splitWrites++;
      return;
    }
    this.write(socket, data, env.stats);
  }

  private write(s: Socket, data: Buffer, st: Stats): void {
    st.writes++;
    st.bytesSent += data.length;
    if (!s.write(data)) this.blocked = true;
  }
}
