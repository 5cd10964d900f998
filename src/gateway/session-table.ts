/**
 * One live session per terminal: a second connection of the same terminal takes over (the old socket
 * is closed), as SPEC §9 allows and reconnect storms need (USERS.md §7).
 */
export interface Closable {
  close(reason: string): void;
}

export class SessionTable<S extends Closable> {
  private readonly byTerminal = new Map<string, S>();

  get size(): number {
    return this.byTerminal.size;
  }

  get(terminalId: string): S | undefined {
    return this.byTerminal.get(terminalId);
  }

  /** Binds `terminalId` to `session`, closing any other session that held it. */
  claim(terminalId: string, session: S): void {
    const previous = this.byTerminal.get(terminalId);
    this.byTerminal.set(terminalId, session);
    if (previous && previous !== session) previous.close('takeover');
  }

  /** Unbinds only if `session` still holds the id (a takeover may have replaced it). */
  release(terminalId: string, session: S): void {
    if (this.byTerminal.get(terminalId) === session) this.byTerminal.delete(terminalId);
  }

  values(): IterableIterator<S> {
    return this.byTerminal.values();
  }
}
