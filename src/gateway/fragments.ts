/**
 * Subpackage reassembly per terminal, not per connection (SPEC §8): a terminal that reconnects and
 * resends only the missing fragments still completes its message. Each terminal gets its own bounded
 * Reassembler, so one flooding terminal cannot evict another's fragments; a terminal's entry is dropped
 * once it holds no incomplete set. All terminals together are bounded too (`maxTotalBytes`): past it the
 * least recently active terminals lose their incomplete sets, so many terminals (or many ids registered
 * by one attacker) cannot add up to unbounded memory (SECURITY.md).
 */
import { Reassembler, type MissingFragments, type ReassemblerOptions } from '../../protocols/jt808/subpackage.js';
import type { Header } from '../../protocols/jt808/index.js';

export interface FragmentStoreOptions extends Pick<ReassemblerOptions, 'timeoutMs' | 'maxBytes' | 'maxSets'> {
  /** Fragment bytes held across all terminals (default: unbounded). */
  maxTotalBytes?: number;
}

export type FragmentAddResult = ReturnType<Reassembler['add']> & {
  /** Incomplete sets of other terminals dropped to respect `maxTotalBytes`. */
  droppedElsewhere?: number;
};

export class FragmentStore {
  /** Insertion order = least recently active terminal first (re-inserted on every fragment). */
  private readonly byTerminal = new Map<string, Reassembler>();
  private bytes = 0;
  private readonly maxTotalBytes: number;

  constructor(private readonly options: FragmentStoreOptions) {
    this.maxTotalBytes = options.maxTotalBytes ?? Infinity;
  }

  /** Terminals with an incomplete set. */
  get terminals(): number {
    return this.byTerminal.size;
  }

  /** Fragment bytes held, all terminals. */
  get totalBytes(): number {
    return this.bytes;
  }

  add(terminalId: string, header: Header, body: Buffer, nowMs: number): FragmentAddResult {
    let r = this.byTerminal.get(terminalId);
    if (!r) r = new Reassembler({ timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxBytes, maxSets: this.options.maxSets });
    else this.byTerminal.delete(terminalId);
    this.byTerminal.set(terminalId, r);
    const before = r.pendingBytes;
    const out: FragmentAddResult = r.add(header, body, nowMs);
    this.bytes += r.pendingBytes - before;
    if (r.pendingSets === 0) this.byTerminal.delete(terminalId);
    if (this.bytes > this.maxTotalBytes) {
      const dropped = this.shed(terminalId);
      if (dropped > 0) out.droppedElsewhere = dropped;
    }
    return out;
  }

  /** Drops the least recently active terminals (never `keep`) until the total bound holds; returns the sets dropped. */
  private shed(keep: string): number {
    let sets = 0;
    for (const [id, r] of this.byTerminal) {
      if (this.bytes <= this.maxTotalBytes) break;
      if (id === keep) continue;
      sets += r.pendingSets;
      this.bytes -= r.pendingBytes;
      this.byTerminal.delete(id);
    }
    return sets;
  }

  /** Sets past their timeout, with what is missing (one 0x8003 each); empty terminals are forgotten. */
  expire(nowMs: number): Array<{ terminalId: string; missing: MissingFragments }> {
    const out: Array<{ terminalId: string; missing: MissingFragments }> = [];
    for (const [terminalId, r] of this.byTerminal) {
      const before = r.pendingBytes;
      for (const missing of r.expire(nowMs)) out.push({ terminalId, missing });
      this.bytes += r.pendingBytes - before;
      if (r.pendingSets === 0) this.byTerminal.delete(terminalId);
    }
    return out;
  }
}
