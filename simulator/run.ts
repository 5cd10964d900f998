/**
 * The `run` subcommand's engine: builds the fleet, drives every terminal from one timer wheel, ramps
 * connections, injects the fleet-wide faults (reconnect storm), shows progress, drains at the end and
 * returns the report. No per-terminal timers: one setInterval ticks the wheel.
 */
import { performance } from 'node:perf_hooks';
import { buildFleet, chooseSampling, createVehicle, spanForReports, type FleetOptions } from './fleet.js';
import { DAY_MS, localDayNumber, parseLocalDate } from './geo.js';
import { Progress, type ProgressMode } from './progress.js';
import { buildReport, type RunReport } from './report.js';
import { hash32, Rng } from './rng.js';
import { Stats } from './stats.js';
import { PHASE_DONE, PHASE_DRAIN, PHASE_RUN, type FaultRates, type Shared, type TerminalConfig } from './shared.js';
import { S_DONE, S_QUEUED, Terminal } from './terminal.js';
import { writeTruth, type TruthSummary } from './truth.js';
import { TimerWheel } from './wheel.js';
import { BATCH_ITEMS_PER_FRAME } from './wire.js';

export interface RunOptions {
  host: string;
  port: number;
  terminals: number;
  /** Reports per terminal per second; 'max' = closed loop at `window` in flight. */
  rate: number | 'max';
  durationS: number;
  window: number;
  protocol: '2013' | '2019' | 'mix';
  seed: number;
  sourceIps: string[];
  /** New connections per second (0 = no limit). */
  ramp: number;
  heartbeatS: number;
  timeoutS: number;
  connectTimeoutS: number;
  drainS: number;
  days: number;
  startDate?: string;
  movingIntervalS?: number;
  parkedIntervalS?: number;
  centerLat: number;
  centerLon: number;
  radiusKm: number;
  firstId: number;
  batchItems: number;
  backlogMax: number;
  tickMs: number;
  faults: FaultRates & {
    backfill: number;
    offlineS: number;
    reconnectStormS: number;
    stormAtS: number;
    clockSkewS: number;
    clockSkewFraction: number;
    odometerReset: number;
  };
  reportJson?: string;
  truth?: string;
  progress: ProgressMode;
  progressIntervalS: number;
}

export interface RunIo {
  /** Progress and notes (stderr). */
  err(text: string): void;
  isTTY: boolean;
}

export interface RunResult {
  report: RunReport;
  truth: TruthSummary | null;
}

const ARENA_BYTES = 1 << 20;
const CLOSED_LOOP_DAYS_BACK = 90;

/** Resolves the device-time sampling and calendar of the run. */
export function planRun(o: RunOptions, nowMs = Date.now()): FleetOptions {
  const reports = o.rate === 'max' ? null : o.rate * o.durationS;
  let movingS: number;
  let parkedS: number;
  if (o.movingIntervalS !== undefined) {
    movingS = o.movingIntervalS;
    parkedS = o.parkedIntervalS ?? Math.min(3600, movingS * 30);
  } else {
    ({ movingS, parkedS } = chooseSampling(reports === null ? null : reports / o.days));
    if (o.parkedIntervalS !== undefined) parkedS = o.parkedIntervalS;
  }
  const spanMs = reports === null ? o.days * DAY_MS : Math.max(spanForReports(reports, movingS, parkedS), DAY_MS);
  // Default calendar: the simulated days end before today, so no device time lies in the future. A
  // closed-loop run's length in device time is unknown beforehand: it starts 90 days back.
  const back = reports === null ? Math.max(o.days, CLOSED_LOOP_DAYS_BACK) : Math.max(o.days, Math.ceil(spanMs / DAY_MS));
  const startDay = o.startDate !== undefined ? parseLocalDate(o.startDate)! : localDayNumber(nowMs) - back;
  const f = o.faults;
  return {
    terminals: o.terminals,
    seed: o.seed,
    protocol: o.protocol,
    firstId: o.firstId,
    area: { centerLat: o.centerLat, centerLon: o.centerLon, radiusM: o.radiusKm * 1000 },
    startDay,
    movingS,
    parkedS,
    spanMs,
    runMs: o.durationS * 1000,
    faults: { backfill: f.backfill, offlineMs: f.offlineS * 1000, clockSkewS: f.clockSkewS, clockSkewFraction: f.clockSkewFraction, odometerReset: f.odometerReset },
  };
}

/** Filled in by runSimulation: the CLI calls `interrupt` on SIGINT (first: drain, second: stop). */
export interface RunControl {
  interrupt(): void;
}

export async function runSimulation(o: RunOptions, io: RunIo, control?: RunControl): Promise<RunResult> {
  const fleetOpts = planRun(o);
  const specs = buildFleet(fleetOpts);
  const clock = (): number => performance.now();
  const stats = new Stats();
  const cfg: TerminalConfig = {
    host: o.host,
    port: o.port,
    window: o.window,
    intervalMs: o.rate === 'max' ? 0 : 1000 / o.rate,
    heartbeatMs: o.heartbeatS * 1000,
    timeoutMs: o.timeoutS * 1000,
    connectTimeoutMs: o.connectTimeoutS * 1000,
    batchItems: o.faults.subpackage > 0 ? Math.max(o.batchItems, 60) : Math.min(o.batchItems, BATCH_ITEMS_PER_FRAME),
    backlogMax: o.backlogMax,
    tickMs: o.tickMs,
    faults: {
      duplicates: o.faults.duplicates,
      badFrames: o.faults.badFrames,
      split: o.faults.split,
      sticky: o.faults.sticky,
      subpackage: o.faults.subpackage,
      fragmentLoss: o.faults.fragmentLoss,
    },
  };
  const connectQueue: Terminal[] = [];
  let ipIndex = 0;
  const sh: Shared = {
    cfg,
    stats,
    wheel: new TimerWheel(specs.length, o.tickMs, clock()),
    out: { buf: Buffer.allocUnsafe(ARENA_BYTES), len: 0 },
    body: Buffer.alloc(64 * 1024),
    readBuffer: Buffer.allocUnsafe(64 * 1024),
    rng: new Rng(hash32(o.seed, 0xfa017)),
    phase: PHASE_RUN,
    clock,
    startedAt: 0,
    // The ramp paces first connections only: reconnections are already spread by their own timing
    // (backoff, the storm window, the end of an offline episode).
    requestConnect: (t) => {
      const term = terminals[t.index];
      if (term.everOnline) term.openSocket(clock());
      else connectQueue.push(term);
    },
    localAddress: () => (o.sourceIps.length === 0 ? undefined : o.sourceIps[ipIndex++ % o.sourceIps.length]),
  };
  const keepLog = o.truth !== undefined;
  const terminals = specs.map((spec, i) => new Terminal(i, spec, createVehicle(fleetOpts, spec), sh, keepLog));
  for (const t of terminals) {
    t.state = S_QUEUED;
    connectQueue.push(t);
  }
  // The run starts once the fleet is built (30,000 terminals take a moment).
  const startedAt = clock();
  const wallStart = Date.now();
  sh.startedAt = startedAt;

  const progress = new Progress(o.progress, io, o.progressIntervalS, terminals.length);
  let queueHead = 0;
  let rampBudget = 0;
  let lastTick = startedAt;
  let tickNow = startedAt;
  const fire = (id: number): void => terminals[id].onTimer(tickNow);
  let drainDeadline = Infinity;
  let lastSettledCheck = 0;
  let runEndedAt = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));

  const startDrain = (now: number): void => {
    if (sh.phase !== PHASE_RUN) return;
    sh.phase = PHASE_DRAIN;
    runEndedAt = now;
    drainDeadline = now + o.drainS * 1000;
    for (const t of terminals) t.drainNow(now);
  };

  const finish = (now: number): void => {
    if (sh.phase === PHASE_DONE) return;
    if (runEndedAt === 0) runEndedAt = now;
    sh.phase = PHASE_DONE;
    for (const t of terminals) t.disconnect('end', now);
    resolveDone();
  };

  const tick = (): void => {
    const now = clock();
    tickNow = now;
    // Connection ramp: a budget of `ramp` connections per second, spent in tick-sized pieces.
    if (queueHead < connectQueue.length && sh.phase !== PHASE_DONE) {
      rampBudget = o.ramp > 0 ? Math.min(rampBudget + ((now - lastTick) * o.ramp) / 1000, Math.max(1, o.ramp)) : Infinity;
      while (queueHead < connectQueue.length && rampBudget >= 1) {
        const t = connectQueue[queueHead++];
        if (t.state === S_QUEUED) {
          t.openSocket(now);
          rampBudget--;
        }
      }
      if (queueHead > 4096 && queueHead * 2 > connectQueue.length) {
        connectQueue.splice(0, queueHead);
        queueHead = 0;
      }
    }
    lastTick = now;
    sh.wheel.advance(now, fire);
    if (sh.phase === PHASE_RUN && now - startedAt >= o.durationS * 1000) startDrain(now);
    if (sh.phase === PHASE_DRAIN && now - lastSettledCheck >= 50) {
      lastSettledCheck = now;
      let busy = false;
      for (const t of terminals) {
        if (t.state !== S_DONE && !t.settled) {
          busy = true;
          break;
        }
      }
      if (!busy || now >= drainDeadline) finish(now);
    }
  };

  const storm = (): void => {
    if (sh.phase !== PHASE_RUN) return;
    const now = clock();
    const windowMs = o.faults.reconnectStormS * 1000;
    io.err(`reconnect storm: dropping every connection, back within ${o.faults.reconnectStormS} s\n`);
    for (const t of terminals) t.disconnect('storm', now, now + sh.rng.next() * windowMs);
  };

  const ticker = setInterval(tick, o.tickMs);
  const progressTimer = setInterval(() => progress.update(clock() - startedAt, stats, terminals, sh.phase), 1000);
  const stormTimer = o.faults.reconnectStormS > 0 ? setTimeout(storm, o.faults.stormAtS * 1000) : null;
  const onAbort = (): void => {
    const now = clock();
    if (sh.phase === PHASE_RUN) {
      io.err('interrupted: draining (interrupt again to stop at once)\n');
      startDrain(now);
    } else finish(now);
  };
  if (control) control.interrupt = onAbort;
  tick();

  await done;
  clearInterval(ticker);
  clearInterval(progressTimer);
  if (stormTimer) clearTimeout(stormTimer);
  if (control) control.interrupt = () => {};
  const endedAt = clock();
  progress.finish(endedAt - startedAt, stats, terminals);
  // Sockets close asynchronously; give them a moment so the counters settle.
  await new Promise((r) => setTimeout(r, 50));

  let truth: TruthSummary | null = null;
  if (o.truth !== undefined) truth = await writeTruth(o.truth, o, fleetOpts, terminals);
  const report = buildReport({ options: o, fleet: fleetOpts, stats, terminals, wallStart, runMs: runEndedAt - startedAt, totalMs: endedAt - startedAt, truth });
  return { report, truth };
}
