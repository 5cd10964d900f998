/**
 * Registration and authentication rules (SPEC §7.5–7.7, §9): who may register, which auth code a
 * terminal gets, and whether a presented code is right. Codes are 128-bit random, persisted before the
 * 0x8100 that carries them is sent, compared in constant time, and never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RegistryStore, TerminalRecord } from './registry-store.js';

export type RegistrationPolicy = 'open' | 'allowlist';

/** 0x8100 results (SPEC §7.6). */
export const REGISTER_OK = 0;
export const REGISTER_TERMINAL_NOT_IN_DB = 4;

export interface RegistrationInfo {
  plate?: string;
  plateColor?: number;
  makerId?: string;
  model?: string;
  deviceId?: string;
  version?: string;
}

const MAX_SHARED_TEXTS = 4096;

export type RegistrationOutcome = { result: typeof REGISTER_OK; authCode: string } | { result: typeof REGISTER_TERMINAL_NOT_IN_DB };

function newAuthCode(): string {
  // 16 random bytes as base64url: 22 ASCII characters, safe in any terminal's STRING field.
  return randomBytes(16).toString('base64url');
}

function digest(code: string): Buffer {
  return createHash('sha256').update(code, 'utf8').digest();
}

export class TerminalRegistry {
  private readonly records = new Map<string, TerminalRecord>();
  private readonly texts = new Map<string, string>();
  private pendingSave: TerminalRecord[] = [];
  private saveWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private saving = false;

  private constructor(
    private readonly store: RegistryStore,
    readonly policy: RegistrationPolicy,
  ) {}

  static async open(store: RegistryStore, policy: RegistrationPolicy): Promise<TerminalRegistry> {
    const reg = new TerminalRegistry(store, policy);
    for (const rec of await store.loadAll()) {
      if (rec.makerId !== undefined) rec.makerId = reg.shared(rec.makerId);
      if (rec.model !== undefined) rec.model = reg.shared(rec.model);
      if (rec.version !== undefined) rec.version = reg.shared(rec.version);
      reg.records.set(rec.id, rec);
    }
    return reg;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): TerminalRecord | undefined {
    return this.records.get(id);
  }

  list(): TerminalRecord[] {
    return [...this.records.values()];
  }

  /**
   * Registers (or re-registers) a terminal. A known terminal keeps its code; under the allowlist
   * policy an unknown or unprovisioned terminal gets "terminal not in database".
   */
  async register(id: string, info: RegistrationInfo, nowMs: number): Promise<RegistrationOutcome> {
    const existing = this.records.get(id);
    if (this.policy === 'allowlist' && !existing?.provisioned) return { result: REGISTER_TERMINAL_NOT_IN_DB };
    const rec: TerminalRecord = {
      ...existing,
      ...stripUndefined({ ...info, makerId: this.shared(info.makerId), model: this.shared(info.model), version: this.shared(info.version) }),
      id,
      authCode: existing?.authCode || newAuthCode(),
      provisioned: existing?.provisioned ?? false,
      registeredAtMs: existing?.registeredAtMs ?? nowMs,
    };
    this.records.set(id, rec);
    await this.persist(rec);
    return { result: REGISTER_OK, authCode: rec.authCode };
  }

  /**
   * One string per distinct maker, model and firmware version: a fleet has a handful, and each registered terminal
   * kept its own copies (~0.1 KB per terminal, bench/RESULTS.md "Connections"). Bounded, so junk texts cannot grow it.
   */
  private shared(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    if (this.texts.size < MAX_SHARED_TEXTS) this.texts.set(text, text);
    return text;
  }

  /** Adds terminals to the allowlist (API or CSV provisioning). Existing codes are kept. */
  async provision(ids: string[], nowMs: number): Promise<void> {
    const changed: TerminalRecord[] = [];
    for (const id of ids) {
      const existing = this.records.get(id);
      if (existing?.provisioned) continue;
      const rec: TerminalRecord = existing
        ? { ...existing, provisioned: true }
        : { id, authCode: '', provisioned: true, registeredAtMs: nowMs };
      this.records.set(id, rec);
      changed.push(rec);
    }
    await Promise.all(changed.map((r) => this.persist(r)));
  }

  /**
   * Constant-time check of a presented auth code (SHA-256 digests equalise the lengths). The stored
   * code's digest is computed each time (≈1 µs, once per connection): a cache of them kept a Buffer and
   * an entry per terminal for an hour, ≈0.6 KB per held connection (bench/RESULTS.md, Connections).
   */
  verify(id: string, presented: string): boolean {
    const rec = this.records.get(id);
    if (!rec || rec.authCode.length === 0) return false;
    return timingSafeEqual(digest(rec.authCode), digest(presented));
  }

  /** Group commit: registrations arriving together are saved (and fsynced) in one write. */
  private persist(rec: TerminalRecord): Promise<void> {
    this.pendingSave.push(rec);
    const done = new Promise<void>((resolve, reject) => this.saveWaiters.push({ resolve, reject }));
    if (!this.saving) void this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    this.saving = true;
    while (this.pendingSave.length > 0) {
      const batch = this.pendingSave;
      const waiters = this.saveWaiters;
      this.pendingSave = [];
      this.saveWaiters = [];
      try {
        await this.store.save(batch);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err as Error);
      }
    }
    this.saving = false;
  }

  async close(): Promise<void> {
    while (this.saving) await new Promise((r) => setTimeout(r, 5));
    await this.store.close();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
