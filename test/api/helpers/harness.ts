/**
 * The API over data ingested the real way: JT808 bodies → spool records in a real Spool (on disk) → the Sink
 * with the real decoder and ignition tracker → embedded ClickHouse; the latest-position and track caches
 * wired as start.ts wires them. Directory and sessions are plain objects (the gateway's adapters are tested
 * in the gateway suite). One harness per test file: chdb takes one data directory per process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildApi, type ApiOptions } from '../../../src/api/app.js';
import type { LiveSessions, SessionInfo, TerminalDirectory, TerminalInfo } from '../../../src/api/directory.js';
import { TrackCache } from '../../../src/api/tracks/cache.js';
import { createDecoder } from '../../../src/decode/pool.js';
import { decodeStage } from '../../../src/decode/stage.js';
import { IgnitionTracker } from '../../../src/decode/ignition.js';
import { FLAG_AUTHENTICATED, recordSize, writeRecord } from '../../../src/decode/record.js';
import { Spool, type SpoolRecord } from '../../../src/spool/index.js';
import { LatestCache } from '../../../src/store/latest-cache.js';
import { openDb } from '../../../src/store/connect.js';
import type { Db } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrations.js';
import { Rollup } from '../../../src/store/rollup/job.js';
import { Sink } from '../../../src/store/sink.js';
import { Zone } from '../../../src/store/timezone.js';
import { encode0200, encode0704, type LocationInput } from '../../../protocols/jt808/messages/location.js';

export class MemoryDirectory implements TerminalDirectory {
  readonly map = new Map<string, TerminalInfo>();
  add(t: Partial<TerminalInfo> & { id: string }): void {
    this.map.set(t.id, { registered: true, provisioned: false, ...t });
  }
  list(): TerminalInfo[] {
    return [...this.map.values()];
  }
  get(id: string): TerminalInfo | undefined {
    return this.map.get(id);
  }
  async provision(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.map.set(id, { ...(this.map.get(id) ?? { id, registered: false }), provisioned: true });
  }
}

export class MemorySessions implements LiveSessions {
  readonly map = new Map<string, SessionInfo>();
  get(id: string): SessionInfo | undefined {
    return this.map.get(id);
  }
}

export interface Message {
  /** Phone as sent (BCD digits; leading zeros allowed). */
  phone: string;
  msgId: 0x0200 | 0x0704;
  body: Buffer;
  /** Receive time (the record stamp); default: the first point's time + 2 s. */
  stampMs: number;
}

export const report = (phone: string, p: LocationInput, stampMs = (p.time ?? 0) + 2000): Message => ({ phone, msgId: 0x0200, body: encode0200(p), stampMs });

/** A blind-area upload (0x0704 type 1) of up to 100 items per message, received at `stampMs`. */
export function backfill(phone: string, points: readonly LocationInput[], stampMs: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < points.length; i += 100) out.push({ phone, msgId: 0x0704, body: encode0704({ type: 1, items: points.slice(i, i + 100) }), stampMs });
  return out;
}

export interface Harness {
  db: Db;
  app: FastifyInstance;
  zone: Zone;
  rollup: Rollup;
  latest: LatestCache;
  trackCache: TrackCache;
  directory: MemoryDirectory;
  sessions: MemorySessions;
  registry: Registry;
  ingest(messages: readonly Message[]): Promise<void>;
  /** Runs the daily rollup until idle (closed days, then restatements). */
  rollupAll(): Promise<void>;
  /** Another API instance over the same data (other options). */
  api(options: Partial<ApiOptions>): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export async function startHarness(o: { database: string; options?: Partial<ApiOptions> }): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fg-api-test-'));
  const db = await openDb({ dataDir: dir, database: o.database });
  await migrate(db);
  const spool = await Spool.open({ dir: path.join(dir, 'spool'), fsyncIntervalMs: 1 });
  const timezone = o.options?.timezone ?? 'Asia/Shanghai';
  const zone = new Zone(timezone);
  const latest = new LatestCache();
  const trackCache = new TrackCache();
  const ignition = new IgnitionTracker();
  const decoder = createDecoder(0);
  const consumer = spool.consumer('sink');
  let committed = 0;
  const sink = new Sink({
    db,
    name: 'sink',
    source: {
      read: (maxBytes: number) => consumer.read(maxBytes),
      commit: async (position: number) => {
        await consumer.commit(position);
        trackCache.committed(position);
        committed = position;
      },
    },
    decode: decodeStage<SpoolRecord>({ decoder, ignition, latest, trackCache }),
    maxRows: 20_000,
    maxDelayMs: 20,
    idleMs: 5,
    replayGraceMs: 0,
    timezone,
  });
  const running = sink.start();
  const rollup = new Rollup(db, { timezone });
  const directory = new MemoryDirectory();
  const sessions = new MemorySessions();
  const registry = new Registry();
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const apps: FastifyInstance[] = [];
  const api = async (options: Partial<ApiOptions>): Promise<FastifyInstance> => {
    const app = await buildApi({
      log, registry, readiness: async () => ({ ready: true, checks: {} }),
      data: { db, rollup, latest, terminals: directory, sessions, trackCache }, options: { ...o.options, ...options },
    });
    apps.push(app);
    return app;
  };
  const app = await api({});
  const scratch = Buffer.alloc(70_000);
  let serial = 0;
  return {
    db, app, zone, rollup, latest, trackCache, directory, sessions, registry, api,
    async ingest(messages) {
      let last = 0;
      for (const m of messages) {
        const fields = { flags: FLAG_AUTHENTICATED, utcOffsetMinutes: 480, msgId: m.msgId, serial: serial++ & 0xffff, layout: '2013' as const, phoneBcd: m.phone.padStart(12, '0') };
        if (recordSize(fields.phoneBcd, m.body.length) > scratch.length) throw new Error('record too large');
        const n = writeRecord(scratch, fields, m.body);
        const p = spool.append(scratch.subarray(0, n), m.stampMs);
        if (p < 0) throw new Error('spool refused the record');
        last = p;
      }
      await spool.flush();
      const deadline = Date.now() + 30_000;
      while (committed < last) {
        if (Date.now() > deadline) throw new Error(`sink did not commit ${last} (at ${committed}): ${JSON.stringify(sink.stats())}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async rollupAll() {
      for (let i = 0; i < 100; i++) {
        const r = await rollup.tick();
        if (r.days.length === 0 && r.restated.length === 0) return;
      }
      throw new Error('rollup did not settle');
    },
    async close() {
      for (const a of apps) await a.close();
      await sink.stop();
      await running;
      await decoder.close();
      await spool.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
