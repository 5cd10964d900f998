/**
 * Decode benchmark: one 0x0200 wire frame → stored position row, on one core.
 *
 *   npx tsx bench/decode.ts            # JSON figures on stdout
 *   npx tsx bench/decode.ts --write    # ... and rewrite the "Decode" section of bench/RESULTS.md
 *   npm run build && node dist/bench/decode.js   # the compiled code the gateway runs
 *   BENCH_FRAMES=200000 npx tsx bench/decode.ts  # shorter rounds
 *
 * Full path per frame, the codec's per-frame API: FrameSplitter.push (split, XOR, unescape) handing the
 * frame as a range to `frameAt` → decodePacketAt (header with a per-connection PhoneCache, checksum
 * verdict from the splitter's XOR) → decode0200At → toPositionRow, with no Buffer view. "fullViews" is
 * the same through the Buffer API (`frame` views, decodePacket, decode0200) that the CLI, the tests
 * and, for now, src/gateway/session.ts use. Each stage is also timed alone on pre-computed inputs.
 * Frames are a realistic 2013 report (extras 0x01 mileage, 0x02 fuel, 0x25 signals, 0x2A IO, 0x30 RSSI,
 * 0x31 satellites), 256 variants (positions, times, serials) cycled; a second set has an escaped byte in
 * every frame (the splitter's copy path). Each (set, stage) runs in a child process of its own; rounds
 * are timed after a warm-up round that is dropped, and the median round is reported.
 * Target (DESIGN.md "Performance budget"): ≤ 500 ns, ≥ 2,000,000 frames/s.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhoneCache } from '../protocols/jt808/bcd.js';
import { FrameSplitter, unescapeFrame, xorChecksum, type SplitterHandler } from '../protocols/jt808/framing.js';
import { decodePacket, decodePacketAt, encodePacket } from '../protocols/jt808/packet.js';
import { decode0200, decode0200At, encode0200, type Location } from '../protocols/jt808/messages/location.js';
import { DEFAULT_BODY_OPTIONS } from '../protocols/jt808/messages/options.js';
import { toPositionRow, type PositionRow } from '../src/decode/position-row.js';

const VARIANTS = 256;
const FRAMES_PER_ROUND = Number(process.env.BENCH_FRAMES ?? 1_000_000);
const ROUNDS = 7;
const OPTS = DEFAULT_BODY_OPTIONS;
const RECV_TS = 1_750_000_000;

/** One realistic report; `escaped` forces a 0x7e inside the latitude (sent as 7d 02). */
function buildFrame(i: number, escaped: boolean): Buffer {
  const t0 = Date.UTC(2025, 5, 1, 0, 0, 0);
  const body = encode0200({
    alarm: 0,
    status: 0x000c0003, // ACC on, positioned, GPS + BeiDou
    latE6: escaped ? 0x0260f57e : 29_560_000 + i * 37,
    lonE6: 106_550_000 + i * 53,
    altitudeM: 250 + (i % 40),
    speedRaw: 300 + (i % 500),
    direction: (i * 7) % 360,
    time: t0 + i * 30_000,
    utcOffsetMinutes: 480,
    mileageRaw: 1_234_560 + i,
    fuelRaw: 400 + (i % 100),
    rssi: 20 + (i % 10),
    satellites: 8 + (i % 10),
    extras: [
      { id: 0x25, raw: Buffer.from([0, 0, 0, i & 0x0f]) },
      { id: 0x2a, raw: Buffer.from([0, i & 0x03]) },
    ],
  });
  // encode0200 writes mileage, fuel, RSSI, satellites first; 0x25/0x2A follow.
  return encodePacket({ msgId: 0x0200, layout: '2013', phoneBcd: '013800138000', serial: (i * 3) & 0xffff }, body);
}

/** `VARIANTS` frames with no escape at all, or exactly one escaped byte (the latitude's 0x7e). */
function buildFrames(escaped: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; out.length < VARIANTS; i++) {
    const wire = buildFrame(i, escaped);
    const escapes = wire.indexOf(0x7d) < 0 ? 0 : wire.indexOf(0x7d) === wire.lastIndexOf(0x7d) ? 1 : 2;
    if (escapes === (escaped ? 1 : 0)) out.push(wire);
  }
  return out;
}

/**
 * Keeps the timed results alive. Bounded so it stays a small integer: a growing double would allocate
 * a HeapNumber per frame in the timed loop.
 */
let sink = 0;
const SINK_MASK = 0x3fffffff;

/**
 * Full path as the gateway runs it: the splitter hands the frame as a range (`frameAt`), the packet,
 * the location and the row are read in place, with the connection's PhoneCache; no Buffer view.
 */
class PipelineHandler implements SplitterHandler {
  /** The last row, kept while checking only: a young object stored into a long-lived one each frame costs a write barrier. */
  last: PositionRow | undefined;
  keepLast = true;
  private readonly phones = new PhoneCache();
  frame(unescaped: Buffer): void {
    this.frameAt(unescaped, 0, unescaped.length, xorChecksum(unescaped, 0, unescaped.length));
  }
  frameAt(buf: Buffer, start: number, end: number, xor: number): void {
    const p = decodePacketAt(buf, start, end, this.phones, xor);
    if (!p.ok || !p.value.checksumOk) throw new Error('bad packet');
    const loc = decode0200At(buf, p.value.bodyStart, p.value.bodyEnd, OPTS);
    if (!loc.ok) throw new Error(`bad body: ${loc.code}`);
    const row = toPositionRow(p.value.header.terminalId, loc.value, RECV_TS, 0);
    sink = (sink + row.latE6 + row.extras.length) & SINK_MASK;
    if (this.keepLast) this.last = row;
  }
  error(code: string): void {
    throw new Error(code);
  }
}

/** The same path through the Buffer API (`frame` views, decodePacket, decode0200): tools and tests use it. */
class ViewPipelineHandler implements SplitterHandler {
  last: PositionRow | undefined;
  keepLast = true;
  frame(unescaped: Buffer): void {
    const p = decodePacket(unescaped);
    if (!p.ok || !p.value.checksumOk) throw new Error('bad packet');
    const loc = decode0200(p.value.body, OPTS);
    if (!loc.ok) throw new Error(`bad body: ${loc.code}`);
    const row = toPositionRow(p.value.header.terminalId, loc.value, RECV_TS, 0);
    sink = (sink + row.latE6 + row.extras.length) & SINK_MASK;
    if (this.keepLast) this.last = row;
  }
  error(code: string): void {
    throw new Error(code);
  }
}

class SplitOnlyHandler implements SplitterHandler {
  frame(unescaped: Buffer): void {
    sink = (sink + unescaped.length) & SINK_MASK;
  }
  frameAt(_buf: Buffer, start: number, end: number, xor: number): void {
    sink = (sink + end - start + xor) & SINK_MASK;
  }
  error(code: string): void {
    throw new Error(code);
  }
}

type Stage = (n: number) => void;

/**
 * Per-frame cost of each round, in CPU time of this process (user + system), not wall time: a busy
 * machine deschedules us, which wall time would count (DESIGN.md also budgets CPU time per message).
 * Wall time is kept beside it.
 */
function timeRounds(stage: Stage, n: number): { cpu: number[]; wall: number[] } {
  stage(n); // warm-up, dropped
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    stage(n);
    wall.push(Number(process.hrtime.bigint() - t) / n);
    const u = process.cpuUsage(c);
    cpu.push(((u.user + u.system) * 1000) / n);
  }
  return { cpu, wall };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

interface StageResult {
  /** Median CPU ns per frame, and the frames per second of one core at that cost. */
  nsPerFrame: number;
  framesPerSecond: number;
  /** Median wall-clock ns per frame (higher on a shared machine). */
  wallNsPerFrame: number;
  cpuRoundsNs: number[];
}

function result(r: { cpu: number[]; wall: number[] }): StageResult {
  const m = median(r.cpu);
  return { nsPerFrame: round1(m), framesPerSecond: Math.round(1e9 / m), wallNsPerFrame: round1(median(r.wall)), cpuRoundsNs: r.cpu.map(round1) };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const STAGES = ['full', 'fullViews', 'split', 'packet', 'decode0200', 'row'] as const;
type StageName = (typeof STAGES)[number];

/** The timed loop of one stage, after checking that what it computes is right. */
function stageFor(wire: Buffer[], stage: StageName): Stage {
  const mask = VARIANTS - 1;
  const unescaped = wire.map((w) => {
    const u = unescapeFrame(w);
    if (!u.ok) throw new Error('unescape');
    return u.frame;
  });
  const bodies = unescaped.map((u) => {
    const p = decodePacket(u);
    if (!p.ok) throw new Error('packet');
    return Buffer.from(p.value.body);
  });
  const locations: Location[] = bodies.map((b) => {
    const r = decode0200(b, OPTS);
    if (!r.ok) throw new Error('body');
    return r.value;
  });
  const wantRows = locations.map((l) => toPositionRow('13800138000', l, RECV_TS, 0));
  if (wantRows.some((r) => r.extras.length !== 20)) throw new Error('rows without the 0x25/0x2A extras');
  const rows = wantRows.map((r) => JSON.stringify(r));
  const splitter = new FrameSplitter();
  switch (stage) {
    case 'full':
    case 'fullViews': {
      // Every frame must give the row of its own location.
      const handler = stage === 'full' ? new PipelineHandler() : new ViewPipelineHandler();
      for (let i = 0; i < VARIANTS; i++) {
        splitter.push(wire[i], handler);
        if (JSON.stringify(handler.last) !== rows[i]) throw new Error(`${stage}, frame ${i}: wrong row`);
      }
      handler.keepLast = false;
      return (n) => {
        for (let i = 0; i < n; i++) splitter.push(wire[i & mask], handler);
      };
    }
    case 'split': {
      const handler = new SplitOnlyHandler();
      return (n) => {
        for (let i = 0; i < n; i++) splitter.push(wire[i & mask], handler);
      };
    }
    case 'packet': {
      // With the XOR the splitter hands over (its scan computes it: timed in "split").
      const xors = unescaped.map((u) => xorChecksum(u, 0, u.length));
      const phones = new PhoneCache();
      for (let i = 0; i < VARIANTS; i++) {
        const p = decodePacketAt(unescaped[i], 0, unescaped[i].length, phones, xors[i]);
        if (!p.ok || !p.value.checksumOk || p.value.header.terminalId !== '13800138000') throw new Error(`packet ${i}`);
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          const u = unescaped[i & mask];
          const p = decodePacketAt(u, 0, u.length, phones, xors[i & mask]);
          if (p.ok) sink = (sink + p.value.bodyEnd) & SINK_MASK;
        }
      };
    }
    case 'decode0200': {
      const headerLength = 12; // 2013 header, no subpackage fields: the body is unescaped[12, length - 1)
      for (let i = 0; i < VARIANTS; i++) {
        const r = decode0200At(unescaped[i], headerLength, unescaped[i].length - 1, OPTS);
        if (!r.ok || JSON.stringify(r.value) !== JSON.stringify(locations[i])) throw new Error(`decode0200At ${i}`);
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          const u = unescaped[i & mask];
          const r = decode0200At(u, headerLength, u.length - 1, OPTS);
          if (r.ok) sink = (sink + r.value.latE6) & SINK_MASK;
        }
      };
    }
    case 'row':
      return (n) => {
        for (let i = 0; i < n; i++) sink = (sink + toPositionRow('13800138000', locations[i & mask], RECV_TS, 0).extras.length) & SINK_MASK;
      };
  }
}

/**
 * Each (frame set, stage) runs in a child process of its own: the stages share code (the splitter,
 * the header reader), and the type feedback one leaves behind (another handler class at the
 * splitter's call sites) slowed the next by tens of ns in one process. The gateway has one handler.
 */
function run(): Record<string, Record<string, StageResult>> {
  const out: Record<string, Record<string, StageResult>> = {};
  for (const set of ['plain', 'escaped'] as const) {
    out[set] = {};
    for (const stage of STAGES) {
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', set, stage], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (child.status !== 0) throw new Error(`${set} ${stage}: child exited with ${child.status}`);
      out[set][stage] = result(JSON.parse(child.stdout) as { cpu: number[]; wall: number[] });
    }
  }
  return out;
}

/** Child: times one stage of one frame set and prints its rounds. */
function runChild(set: string, stage: string): void {
  if (!(STAGES as readonly string[]).includes(stage) || (set !== 'plain' && set !== 'escaped')) throw new Error(`unknown stage ${set} ${stage}`);
  const fn = stageFor(buildFrames(set === 'escaped'), stage as StageName);
  const r = timeRounds(fn, FRAMES_PER_ROUND);
  process.stdout.write(JSON.stringify({ ...r, sink }));
}

function markdown(meta: Record<string, string | number>, figures: Record<string, Record<string, StageResult>>): string {
  const lines = [
    '## Decode',
    '',
    'One 0x0200 wire frame (2013 header, extras 0x01 0x02 0x25 0x2A 0x30 0x31) → position row, on one core.',
    `Command: \`${meta.command}\`. Median of ${ROUNDS} rounds of ${FRAMES_PER_ROUND.toLocaleString('en-US')} frames after a dropped warm-up round;`,
    'ns/frame is CPU time of the process (user + system), frames/s = 1e9 / ns; wall time beside it.',
    'Each (set, stage) runs in a child process of its own. Stages as in the full path: the splitter',
    'computes the XOR while scanning (in "split"), decodePacketAt takes it.',
    '',
    `Machine: ${meta.cpu}, ${meta.cores} cores, load average ${meta.loadavg} at the start; Node ${meta.node}; ${meta.date}.`,
    '',
    '| frames | stage | ns/frame (CPU) | frames/s | wall ns/frame |',
    '|---|---|---:|---:|---:|',
  ];
  const label: Record<string, string> = {
    full: '**full: split + packet + decode0200 + row**',
    fullViews: 'full, Buffer API (frame views, decodePacket, decode0200)',
    split: 'FrameSplitter.push (split, XOR, unescape)',
    packet: 'decodePacketAt (header, checksum verdict)',
    decode0200: 'decode0200At',
    row: 'toPositionRow',
  };
  for (const [set, stages] of Object.entries(figures)) {
    for (const [stage, r] of Object.entries(stages)) {
      lines.push(`| ${set} | ${label[stage] ?? stage} | ${r.nsPerFrame} | ${r.framesPerSecond.toLocaleString('en-US')} | ${r.wallNsPerFrame} |`);
    }
  }
  lines.push('', 'By DESIGN.md budget line (sums of the stage medians):', '');
  for (const [set, st] of Object.entries(figures)) {
    const main = round1(st.split.nsPerFrame + st.packet.nsPerFrame);
    const worker = round1(st.decode0200.nsPerFrame + st.row.nsPerFrame);
    lines.push(`- ${set}: main thread (split + header + checksum) ${main} ns, budget 500; worker (decode body → row) ${worker} ns, budget 500.`);
  }
  lines.push('', 'Target for the whole path on one core: ≤ 500 ns (≥ 2,000,000 frames/s).', '', '');
  return lines.join('\n');
}

/** Replaces the "## Decode" section of RESULTS.md (up to the next "## "), or appends it. */
function writeResults(section: string): void {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const start = text.indexOf('## Decode\n');
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  writeFileSync(file, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) runChild(process.argv[childAt + 1], process.argv[childAt + 2]);
else {
  const startLoad = loadavg()[0].toFixed(1);
  const figures = run();
  const meta = {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg: startLoad,
    command: import.meta.url.endsWith('.ts') ? 'npx tsx bench/decode.ts' : 'node dist/bench/decode.js',
  };
  console.log(JSON.stringify({ bench: 'decode', ...meta, unit: 'ns/frame (median)', figures }, null, 2));
  if (process.argv.includes('--write')) writeResults(markdown(meta, figures));
}
