/**
 * Samples the spool's and the sink's counters into the Prometheus metrics once a second: the hot paths
 * keep plain numbers, and this turns them into gauges and counter increments.
 */
import type { Metrics } from './metrics.js';
import type { SpoolStats } from './spool/index.js';
import type { SinkStats } from './store/index.js';

export interface Observed {
  spool: { stats(): SpoolStats; readonly tailPosition: number };
  sink: { stats(): SinkStats };
}

export function sampleIntoMetrics(metrics: Metrics, o: Observed, everyMs = 1000): () => void {
  let last = { fsyncs: 0, positions: 0, ignition: 0, terminals: 0, retries: 0 };
  const tick = (): void => {
    const sp = o.spool.stats();
    const sk = o.sink.stats();
    metrics.spoolBytes.set(sp.headPosition - o.spool.tailPosition);
    metrics.spoolUnconsumedBytes.set(sp.unconsumedBytes);
    metrics.spoolLagSeconds.set(sk.lagSeconds);
    metrics.sinkLagSeconds.set(sk.lagSeconds);
    if (sp.fsyncs > last.fsyncs) metrics.spoolFsyncs.inc(sp.fsyncs - last.fsyncs);
    if (sk.positions > last.positions) metrics.sinkRowsInserted.child('positions').inc(sk.positions - last.positions);
    if (sk.ignition > last.ignition) metrics.sinkRowsInserted.child('ignition_events').inc(sk.ignition - last.ignition);
    if (sk.terminals > last.terminals) metrics.sinkRowsInserted.child('terminals').inc(sk.terminals - last.terminals);
    if (sk.retries > last.retries) metrics.sinkInsertErrors.inc(sk.retries - last.retries);
    last = { fsyncs: sp.fsyncs, positions: sk.positions, ignition: sk.ignition, terminals: sk.terminals, retries: sk.retries };
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    tick();
  };
}
