import t from 'tap';
import { createMetrics, gatewayMetrics, msgIdLabel, OTHER } from '../src/metrics.js';

const NAMES = [
  'fleetgate_connections',
  'fleetgate_connections_closed_total',
  'fleetgate_connections_rejected_total',
  'fleetgate_sessions',
  'fleetgate_frames_total',
  'fleetgate_bad_frames_total',
  'fleetgate_answers_total',
  'fleetgate_spool_bytes',
  'fleetgate_spool_unconsumed_bytes',
  'fleetgate_spool_lag_seconds',
  'fleetgate_spool_fsyncs_total',
  'fleetgate_spool_fsync_seconds',
  'fleetgate_decode_batch_seconds',
  'fleetgate_paused_sockets',
  'fleetgate_sink_rows_inserted_total',
  'fleetgate_sink_insert_errors_total',
  'fleetgate_sink_lag_seconds',
  'fleetgate_heap_trim_seconds',
  'fleetgate_api_request_duration_seconds',
];

/** `name{labels} value` → value, from the text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('the registry exposes every metric in text format', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  const text = await m.registry.metrics();
  for (const name of NAMES) t.match(text, `# TYPE ${name} `, name);
  t.equal(m.registry.contentType.split(';')[0], 'text/plain');
});

t.test('registries are independent: several can exist at once', async (t) => {
  const a = createMetrics();
  const b = createMetrics({ defaultMetrics: false });
  a.frames.child(0x0200).inc(5);
  t.equal(sample(await a.registry.metrics(), 'fleetgate_frames_total{msg_id="0x0200"}'), 5);
  t.equal(sample(await b.registry.metrics(), 'fleetgate_frames_total{msg_id="0x0200"}'), undefined);
  t.match(await a.registry.metrics(), 'process_cpu_seconds_total', 'default metrics on by default');
  t.notMatch(await b.registry.metrics(), 'process_cpu_seconds_total');
});

t.test('cells: same object per key, counted exactly across scrapes', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  const cell = m.frames.child(0x0200);
  t.equal(m.frames.child(0x0200), cell, 'cached');
  t.equal(sample(await m.registry.metrics(), 'fleetgate_frames_total{msg_id="0x0200"}'), 0, 'a new series starts at 0');
  for (let i = 0; i < 3; i++) cell.inc();
  m.frames.child(0x0002).inc(2);
  let text = await m.registry.metrics();
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0x0200"}'), 3);
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0x0002"}'), 2);
  cell.inc(4);
  text = await m.registry.metrics();
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0x0200"}'), 7, 'no double counting between scrapes');
  t.equal(sample(await m.registry.metrics(), 'fleetgate_frames_total{msg_id="0x0200"}'), 7);
});

t.test('label values are bounded: made-up message ids share one series', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  for (let id = 0; id < 1000; id++) m.frames.child(id).inc();
  const text = await m.registry.metrics();
  const series = text.split('\n').filter((l) => l.startsWith('fleetgate_frames_total{'));
  t.equal(series.length, 65, '64 values and other');
  t.equal(sample(text, `fleetgate_frames_total{msg_id="${OTHER}"}`), 1000 - 64);
  t.equal(series.reduce((n, l) => n + Number(l.split(' ')[1]), 0), 1000, 'nothing lost');
});

t.test('a repeated key (the last-key shortcut) and alternating keys count in their own series', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  const ids = [0x0200, 0x0200, 0x0002, 0x0200, 0x0002, 0x0002, 0x0200];
  for (const id of ids) m.frames.child(id).inc();
  t.equal(m.frames.child(0x0002), m.frames.child(0x0002), 'same cell on a repeat');
  t.not(m.frames.child(0x0200), m.frames.child(0x0002));
  // Past the cap, a repeated made-up key still lands in `other`.
  for (let id = 0x1000; id < 0x1000 + 64; id++) m.frames.child(id).inc();
  m.frames.child(0xffff).inc();
  m.frames.child(0xffff).inc();
  const text = await m.registry.metrics();
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0x0200"}'), 4);
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0x0002"}'), 3);
  t.equal(sample(text, `fleetgate_frames_total{msg_id="${OTHER}"}`), 2 + 2);
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0xffff"}'), undefined);
});

t.test('msg ids print as in the spec', async (t) => {
  t.equal(msgIdLabel(0x0200), '0x0200');
  t.equal(msgIdLabel(0x8001), '0x8001');
  t.equal(msgIdLabel(0x0f01), '0x0f01');
});

t.test('gauge families, plain handles and histograms', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  m.sessions.child('authenticated').inc(3);
  m.sessions.child('authenticated').dec();
  m.sessions.child('connected').set(4);
  m.spoolBytes.set(1024);
  m.spoolFsyncs.inc();
  m.spoolFsyncSeconds.observe(0.0003);
  m.sinkRowsInserted.child('positions').inc(10000);
  m.apiRequestSeconds.observe({ route: 'GET /v1/tracks/:id', status: '200' }, 0.012);
  const text = await m.registry.metrics();
  t.equal(sample(text, 'fleetgate_sessions{state="authenticated"}'), 2);
  t.equal(sample(text, 'fleetgate_sessions{state="connected"}'), 4);
  t.equal(sample(text, 'fleetgate_spool_bytes'), 1024);
  t.equal(sample(text, 'fleetgate_spool_fsyncs_total'), 1);
  t.equal(sample(text, 'fleetgate_spool_fsync_seconds_bucket{le="0.0005"}'), 1);
  t.equal(sample(text, 'fleetgate_sink_rows_inserted_total{table="positions"}'), 10000);
  t.equal(sample(text, 'fleetgate_api_request_duration_seconds_count{route="GET /v1/tracks/:id",status="200"}'), 1);
});

t.test('gatewayMetrics: the shape src/gateway bumps', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  const g = gatewayMetrics(m);
  g.connectionOpened();
  g.connectionOpened();
  g.connectionClosed('idle');
  g.connectionRejected('rate');
  g.frame(0x0200);
  g.badFrame('CHECKSUM');
  g.answer(0);
  g.sessionState(null, 'connected');
  g.sessionState('connected', 'authenticated');
  g.pausedSockets(2);
  g.pausedSockets(-1);
  const text = await m.registry.metrics();
  t.equal(sample(text, 'fleetgate_connections'), 1);
  t.equal(sample(text, 'fleetgate_connections_closed_total{reason="idle"}'), 1);
  t.equal(sample(text, 'fleetgate_connections_rejected_total{reason="rate"}'), 1);
  t.equal(sample(text, 'fleetgate_frames_total{msg_id="0x0200"}'), 1);
  t.equal(sample(text, 'fleetgate_bad_frames_total{reason="CHECKSUM"}'), 1);
  t.equal(sample(text, 'fleetgate_answers_total{result="0"}'), 1);
  t.equal(sample(text, 'fleetgate_sessions{state="connected"}'), 0);
  t.equal(sample(text, 'fleetgate_sessions{state="authenticated"}'), 1);
  t.equal(sample(text, 'fleetgate_paused_sockets'), 1);
});

t.test('cost of a cached increment (printed, not asserted; see bench/metrics.ts)', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  const cell = m.frames.child(0x0200);
  const n = 5_000_000;
  for (let i = 0; i < n; i++) cell.inc(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) cell.inc();
  const held = Number(process.hrtime.bigint() - t0) / n;
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) m.frames.child(0x0200).inc();
  const looked = Number(process.hrtime.bigint() - t1) / n;
  t.comment(`held cell inc: ${held.toFixed(2)} ns/op; child(id).inc: ${looked.toFixed(2)} ns/op (budget 50 ns)`);
  t.equal(cell.value, 3 * n);
});

t.test('CounterFamily.total sums every label value', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  t.equal(m.frames.total(), 0);
  m.frames.child(0x0200).inc(5);
  m.frames.child(0x0002).inc();
  t.equal(m.frames.total(), 6);
});
