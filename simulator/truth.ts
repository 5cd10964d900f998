/**
 * Ground truth from the terminals' sample logs: every position sent (answered or not), the trips and
 * ignition events they contain, and km per local day. Computed from what the simulator generated and
 * what the gateway answered — never from the gateway's own decoding.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { FleetOptions } from './fleet.js';
import { localDateOfDay, localDayNumber } from './geo.js';
import type { RunOptions } from './run.js';
import { FLAG_BACKFILL, ST_ANSWERED, ST_REJECTED, ST_SENT, type SampleLog } from './samples.js';
import type { Terminal } from './terminal.js';
import { TRUTH_FORMAT, TRUTH_VERSION, type TruthDay, type TruthHeader, type TruthIgnition, type TruthSummaryLine, type TruthTerminal, type TruthTrip } from './truth-format.js';

export interface TruthSummary {
  file: string;
  terminals: number;
  positionsSent: number;
  positionsAnswered: number;
  trips: number;
  km: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Trips and ignition events from answered rows (ACC runs), in log (device-time) order. */
export function deriveTrips(log: SampleLog): { trips: TruthTrip[]; ignition: TruthIgnition[] } {
  const trips: TruthTrip[] = [];
  const ignition: TruthIgnition[] = [];
  let start = -1;
  let last = -1;
  let maxSpeed = 0;
  for (let i = 0; i < log.length; i++) {
    if (log.state[i] !== ST_ANSWERED) continue;
    const on = log.acc[i] === 1;
    if (on && start < 0) {
      start = i;
      maxSpeed = 0;
      ignition.push({ time: log.time[i], type: 'on', latE6: log.latE6[i], lonE6: log.lonE6[i] });
    }
    if (on) {
      last = i;
      if (log.speedRaw[i] > maxSpeed) maxSpeed = log.speedRaw[i];
    } else if (start >= 0) {
      ignition.push({ time: log.time[i], type: 'off', latE6: log.latE6[i], lonE6: log.lonE6[i] });
      trips.push({
        start: { time: log.time[start], latE6: log.latE6[start], lonE6: log.lonE6[start] },
        end: { time: log.time[i], latE6: log.latE6[i], lonE6: log.lonE6[i] },
        distanceKm: round3((log.distanceM[i] - log.distanceM[start]) / 1000),
        maxSpeedKmh: maxSpeed / 10,
      });
      start = -1;
    }
  }
  if (start >= 0) {
    trips.push({
      start: { time: log.time[start], latE6: log.latE6[start], lonE6: log.lonE6[start] },
      end: null,
      distanceKm: round3((log.distanceM[last] - log.distanceM[start]) / 1000),
      maxSpeedKmh: maxSpeed / 10,
    });
  }
  return { trips, ignition };
}

/**
 * Km per local day: the distance between the day's last answered position and the previous answered
 * one before the day (or the day's first), so a day's figure does not depend on other days' gaps.
 */
export function deriveKmPerDay(log: SampleLog): TruthDay[] {
  const days: TruthDay[] = [];
  let prevDist = -1;
  let curDay = -1;
  let dayFrom = 0;
  let dayTo = 0;
  for (let i = 0; i < log.length; i++) {
    if (log.state[i] !== ST_ANSWERED) continue;
    const day = localDayNumber(log.time[i]);
    const d = log.distanceM[i];
    if (day !== curDay) {
      if (curDay >= 0) {
        days.push({ date: localDateOfDay(curDay), km: round3((dayTo - dayFrom) / 1000) });
        prevDist = dayTo;
      }
      curDay = day;
      dayFrom = prevDist >= 0 ? prevDist : d;
    }
    dayTo = d;
  }
  if (curDay >= 0) days.push({ date: localDateOfDay(curDay), km: round3((dayTo - dayFrom) / 1000) });
  return days;
}

/** Who a truth line is about. */
export interface TruthIdentity {
  id: string;
  phone: string;
  protocol: '2013' | '2019';
  plate: string;
  clockSkewS: number;
}

/** One terminal's truth line from its sample log (which must keep every row: `--truth` runs do). */
export function truthOf(log: SampleLog, who: TruthIdentity, resets: TruthTerminal['odometerResets'] = []): TruthTerminal {
  const pos: TruthTerminal['positions'] = { time: [], latE6: [], lonE6: [], speed: [], direction: [], acc: [], odometer: [], fuel: [], answered: [], backfill: [] };
  let answered = 0;
  let backfilled = 0;
  for (let i = 0; i < log.length; i++) {
    const st = log.state[i];
    if (st !== ST_SENT && st !== ST_ANSWERED && st !== ST_REJECTED) continue;
    pos.time.push(log.time[i]);
    pos.latE6.push(log.latE6[i]);
    pos.lonE6.push(log.lonE6[i]);
    pos.speed.push(log.speedRaw[i]);
    pos.direction.push(log.direction[i]);
    pos.acc.push(log.acc[i]);
    pos.odometer.push(log.odometerRaw[i]);
    pos.fuel.push(log.fuelRaw[i]);
    pos.answered.push(st === ST_ANSWERED ? 1 : 0);
    const bf = (log.flags[i] & FLAG_BACKFILL) !== 0 ? 1 : 0;
    pos.backfill.push(bf);
    if (st === ST_ANSWERED) answered++;
    backfilled += bf;
  }
  const { trips, ignition } = deriveTrips(log);
  const kmPerDay = deriveKmPerDay(log);
  return {
    kind: 'terminal',
    ...who,
    odometerResets: resets,
    positions: pos,
    trips,
    ignition,
    kmPerDay,
    counts: {
      sent: pos.time.length,
      answered,
      backfilled,
      trips: trips.filter((x) => x.end !== null).length,
      km: round3(kmPerDay.reduce((a, d) => a + d.km, 0)),
    },
  };
}

export function terminalTruth(t: Terminal): TruthTerminal {
  const spec = t.spec;
  const skewMs = spec.clockSkewS * 1000;
  return truthOf(
    t.log,
    { id: spec.id, phone: spec.phoneBcd, protocol: spec.layout, plate: spec.plate, clockSkewS: spec.clockSkewS },
    t.vehicle.resets.map((r) => ({ time: r.timeMs + skewMs, beforeKm: r.beforeRaw / 10 })),
  );
}

export async function writeTruth(file: string, o: RunOptions, fleet: FleetOptions, terminals: readonly Terminal[]): Promise<TruthSummary> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  const write = async (obj: unknown): Promise<void> => {
    if (!out.write(JSON.stringify(obj) + '\n')) await Promise.race([once(out, 'drain'), failed]);
  };
  const header: TruthHeader = {
    kind: 'header',
    format: TRUTH_FORMAT,
    version: TRUTH_VERSION,
    createdAt: new Date().toISOString(),
    seed: o.seed,
    terminals: terminals.length,
    target: `${o.host}:${o.port}`,
    startDate: localDateOfDay(fleet.startDay),
    movingIntervalS: fleet.movingS,
    parkedIntervalS: fleet.parkedS,
    timeZone: 'Asia/Shanghai',
    center: { lat: fleet.area.centerLat, lon: fleet.area.centerLon },
  };
  await write(header);
  const sum: TruthSummaryLine = { kind: 'summary', terminals: terminals.length, positionsSent: 0, positionsAnswered: 0, trips: 0, km: 0 };
  for (const t of terminals) {
    const tt = terminalTruth(t);
    sum.positionsSent += tt.counts.sent;
    sum.positionsAnswered += tt.counts.answered;
    sum.trips += tt.counts.trips;
    sum.km += tt.counts.km;
    await write(tt);
  }
  sum.km = round3(sum.km);
  await write(sum);
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return { file, terminals: sum.terminals, positionsSent: sum.positionsSent, positionsAnswered: sum.positionsAnswered, trips: sum.trips, km: sum.km };
}
