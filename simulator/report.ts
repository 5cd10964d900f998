/**
 * The final report of a run: one JSON object (`--report-json FILE`) and a short text summary. The
 * counts are built to add up: sent = answered + unanswered; results sum to answered; positions sent
 * = answered + rejected + unanswered.
 */
import type { FleetOptions } from './fleet.js';
import { DAY_MS, localDateOfDay } from './geo.js';
import type { RunOptions } from './run.js';
import { KIND_NAMES, type Stats } from './stats.js';
import type { Terminal } from './terminal.js';
import type { TruthSummary } from './truth.js';

export interface RunReport {
  tool: 'fleetgate-sim';
  version: 1;
  target: string;
  startedAt: string;
  durationS: number;
  /** Including the drain at the end. */
  totalS: number;
  config: Record<string, unknown>;
  connections: {
    ok: number;
    failed: number;
    failedByReason: Record<string, number>;
    reconnects: number;
    closedByGateway: number;
    peak: number;
    atEnd: number;
    terminalsAuthenticated: number;
  };
  messages: {
    sent: number;
    answered: number;
    unanswered: number;
    unansweredByReason: Record<string, number>;
    byType: Record<string, { sent: number; answered: number }>;
    duplicatesSent: number;
    badFramesSent: number;
    fragmentsSent: number;
    fragmentsHeldBack: number;
    fragmentsResent: number;
    splitWrites: number;
    stickyWrites: number;
    unmatchedAnswers: number;
    badAnswers: number;
    platformRequests: number;
  };
  results: Record<string, number>;
  latencyMs: { count: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  failures: Record<string, number>;
  positions: {
    generated: number;
    sent: number;
    answered: number;
    rejected: number;
    unanswered: number;
    resent: number;
    backfilled: number;
    droppedFromFullBuffer: number;
    odometerResets: number;
  };
  msgsPerSecond: { sent: number; answered: number };
  bytes: { sent: number; received: number; writes: number };
  truth: TruthSummary | null;
  process: { rssMB: number; cpuUserS: number; cpuSystemS: number };
}

export interface ReportInput {
  options: RunOptions;
  fleet: FleetOptions;
  stats: Stats;
  terminals: readonly Terminal[];
  wallStart: number;
  /** Run phase length (until the drain started), ms. */
  runMs: number;
  totalMs: number;
  truth: TruthSummary | null;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export function buildReport(inp: ReportInput): RunReport {
  const { options: o, fleet, stats: st, terminals } = inp;
  const byType: RunReport['messages']['byType'] = {};
  for (let k = 0; k < KIND_NAMES.length; k++) {
    if (st.sentByKind[k] > 0 || st.answeredByKind[k] > 0) byType[KIND_NAMES[k]] = { sent: st.sentByKind[k], answered: st.answeredByKind[k] };
  }
  const results: Record<string, number> = {};
  st.results.forEach((n, code) => {
    if (n > 0) results[String(code)] = n;
  });
  const usage = process.cpuUsage();
  const lat = st.latency;
  const q = (x: number): number => r3(lat.quantileUs(x) / 1000);
  const authenticated = terminals.filter((t) => t.everOnline).length;
  const seconds = inp.runMs / 1000;
  return {
    tool: 'fleetgate-sim',
    version: 1,
    target: `${o.host}:${o.port}`,
    startedAt: new Date(inp.wallStart).toISOString(),
    durationS: r3(seconds),
    totalS: r3(inp.totalMs / 1000),
    config: {
      terminals: o.terminals,
      rate: o.rate,
      window: o.window,
      protocol: o.protocol,
      seed: o.seed,
      ramp: o.ramp,
      sourceIps: o.sourceIps.length,
      heartbeatS: o.heartbeatS,
      startDate: localDateOfDay(fleet.startDay),
      endDate: localDateOfDay(fleet.startDay + Math.max(o.days, Math.ceil(fleet.spanMs / DAY_MS)) - 1),
      days: o.days,
      movingIntervalS: fleet.movingS,
      parkedIntervalS: fleet.parkedS,
      faults: o.faults,
    },
    connections: {
      ok: st.connectOk,
      failed: st.connectFailed,
      failedByReason: Object.fromEntries(st.connectFailedBy),
      reconnects: st.reconnects,
      closedByGateway: st.closedByPeer,
      peak: st.peakConnected,
      atEnd: st.connected,
      terminalsAuthenticated: authenticated,
    },
    messages: {
      sent: st.sent,
      answered: st.answered,
      unanswered: st.sent - st.answered,
      unansweredByReason: Object.fromEntries(st.unanswered),
      byType,
      duplicatesSent: st.duplicatesSent,
      badFramesSent: st.badFramesSent,
      fragmentsSent: st.fragmentsSent,
      fragmentsHeldBack: st.fragmentsHeldBack,
      fragmentsResent: st.fragmentsResent,
      splitWrites: st.splitWrites,
      stickyWrites: st.stickyWrites,
      unmatchedAnswers: st.unmatchedAnswers,
      badAnswers: st.badAnswers,
      platformRequests: st.platformRequests,
    },
    results,
    latencyMs: { count: lat.count, mean: r3(lat.meanUs / 1000), p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: r3(lat.maxUs / 1000) },
    failures: Object.fromEntries(st.failures),
    positions: {
      generated: st.positionsGenerated,
      sent: st.positionsSent,
      answered: st.positionsAnswered,
      rejected: st.positionsRejected,
      unanswered: st.positionsSent - st.positionsAnswered - st.positionsRejected,
      resent: st.positionsResent,
      backfilled: st.positionsBackfilled,
      droppedFromFullBuffer: st.positionsDropped,
      odometerResets: st.odometerResets,
    },
    msgsPerSecond: { sent: seconds > 0 ? Math.round(st.sent / seconds) : 0, answered: seconds > 0 ? Math.round(st.answered / seconds) : 0 },
    bytes: { sent: st.bytesSent, received: st.bytesReceived, writes: st.writes },
    truth: inp.truth,
    process: { rssMB: Math.round(process.memoryUsage().rss / 1048576), cpuUserS: r3(usage.user / 1e6), cpuSystemS: r3(usage.system / 1e6) },
  };
}

const n = (x: number): string => x.toLocaleString('en-US');

/** A few human lines for stdout. */
export function formatSummary(r: RunReport): string {
  const m = r.messages;
  const p = r.positions;
  const failures = Object.entries(r.failures);
  const lost = Object.entries(m.unansweredByReason);
  const lines = [
    `fleetgate-sim → ${r.target}: ${r.durationS.toFixed(1)} s run (+${(r.totalS - r.durationS).toFixed(1)} s drain)`,
    `  connections  ok ${n(r.connections.ok)}  failed ${n(r.connections.failed)}  reconnects ${n(r.connections.reconnects)}  closed by gateway ${n(r.connections.closedByGateway)}  authenticated terminals ${n(r.connections.terminalsAuthenticated)}/${n(Number(r.config.terminals))}`,
    `  messages     sent ${n(m.sent)}  answered ${n(m.answered)}  unanswered ${n(m.unanswered)}  (${n(r.msgsPerSecond.sent)} msg/s sent, ${n(r.msgsPerSecond.answered)} answered)`,
    `  results      ${Object.entries(r.results).map(([k, v]) => `${k}: ${n(v)}`).join('  ') || 'none'}`,
    `  latency ms   p50 ${r.latencyMs.p50}  p90 ${r.latencyMs.p90}  p99 ${r.latencyMs.p99}  p99.9 ${r.latencyMs.p999}  max ${r.latencyMs.max}`,
    `  positions    sent ${n(p.sent)}  answered ${n(p.answered)}  unanswered ${n(p.unanswered)}  rejected ${n(p.rejected)}  resent ${n(p.resent)}  backfilled ${n(p.backfilled)}`,
  ];
  const faults = [
    m.duplicatesSent && `duplicates ${n(m.duplicatesSent)}`,
    m.badFramesSent && `bad frames ${n(m.badFramesSent)}`,
    m.splitWrites && `split writes ${n(m.splitWrites)}`,
    m.stickyWrites && `sticky holds ${n(m.stickyWrites)}`,
    m.fragmentsSent && `fragments ${n(m.fragmentsSent)} (held back ${n(m.fragmentsHeldBack)}, resent ${n(m.fragmentsResent)})`,
    p.odometerResets && `odometer resets ${n(p.odometerResets)}`,
  ].filter(Boolean);
  if (faults.length > 0) lines.push(`  faults       ${faults.join('  ')}`);
  if (lost.length > 0) lines.push(`  unanswered   ${lost.map(([k, v]) => `${k}: ${n(v)}`).join('; ')}`);
  if (failures.length > 0) lines.push(`  failures     ${failures.map(([k, v]) => `${k}: ${n(v)}`).join('; ')}`);
  if (r.truth) lines.push(`  truth        ${r.truth.file}: ${n(r.truth.terminals)} terminals, ${n(r.truth.positionsAnswered)} answered positions, ${n(r.truth.trips)} trips, ${r.truth.km.toFixed(1)} km`);
  return lines.join('\n') + '\n';
}

/** Links to what the run produced, for a person to open (the demo prints them). */
export function formatApiLinks(api: string, r: RunReport, ids: readonly string[]): string {
  const from = `${String(r.config.startDate)}T00:00:00%2B08:00`;
  const to = `${String(r.config.endDate)}T23:59:59%2B08:00`;
  const range = `from=${from}&to=${to}`;
  const v1 = `${api}/api/v1`;
  const lines = [`Open the API (${api}):`, `  ${api}/docs`, `  ${v1}/terminals?online=true`, `  ${v1}/positions/latest`, `  ${v1}/reports/fleet?${range}`];
  for (const id of ids) {
    lines.push(
      `  ${v1}/terminals/${id}/track?${range}&format=geojson`,
      `  ${v1}/terminals/${id}/trips?${range}`,
      `  ${v1}/terminals/${id}/mileage?${range}&interval=day`,
      `  ${v1}/terminals/${id}/ignition-events?${range}`,
    );
  }
  return lines.join('\n') + '\n';
}
