/**
 * Subpackage reassembly per terminal, not per connection (SPEC §8): a terminal that reconnects and
 * resends only the missing fragments still completes its message. Each terminal gets its own bounded
 * Reassembler, so one flooding terminal cannot evict another's fragments; a terminal's entry is dropped
 * once it holds no incomplete set.
 */
import { Reassembler, type MissingFragments, type ReassemblerOptions } from '../../protocols/jt808/subpackage.js';
import type { Header } from '../../protocols/jt808/index.js';

export class FragmentStore {
  private readonly byTerminal = new Map<string, Reassembler>();

  constructor(private readonly options: Pick<ReassemblerOptions, 'timeoutMs' | 'maxBytes' | 'maxSets'>) {}

  /** Terminals with an incomplete set. */
  get terminals(): number {
    return this.byTerminal.size;
  }

  add(terminalId: string, header: Header, body: Buffer, nowMs: number): ReturnType<Reassembler['add']> {
    let r = this.byTerminal.get(terminalId);
    if (!r) {
      r = new Reassembler(this.options);
      this.byTerminal.set(terminalId, r);
    }
    const out = r.add(header, body, nowMs);
    if (r.pendingSets === 0) this.byTerminal.delete(terminalId);
    return out;
  }

  /** Sets past their timeout, with what is missing (one 0x8003 each); empty terminals are forgotten. */
  expire(nowMs: number): Array<{ terminalId: string; missing: MissingFragments }> {
    const out: Array<{ terminalId: string; missing: MissingFragments }> = [];
    for (const [terminalId, r] of this.byTerminal) {
      for (const missing of r.expire(nowMs)) out.push({ terminalId, missing });
      if (r.pendingSets === 0) this.byTerminal.delete(terminalId);
    }
    return out;
  }
}
