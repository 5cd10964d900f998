/**
 * Spool records as the gateway would hold them for a simulated fleet (bench/decode-read.ts, and
 * test/decode/decode-row-binary.test.ts): the simulator's vehicles (simulator/fleet.ts, field sampling 10 s
 * moving / 300 s parked) sampled in device-time order across the fleet, each sample a 0x0200 body as
 * fleetgate-sim writes it (simulator/wire.ts writeLocation) in a spool record (src/decode/record.ts) stamped
 * 0.2–2 s after its device time, in stamp order. 2013 and 2019 phones alternate by terminal. The records are views
 * of one buffer, as a worker's batch is (src/decode/batch.ts unpackRecords).
 */
import { CHONGQING, buildFleet, chooseSampling, createVehicle, NO_FAULTS, type FleetOptions } from '../../simulator/fleet.js';
import { localDayNumber } from '../../simulator/geo.js';
import { Rng } from '../../simulator/rng.js';
import { newSample, type Vehicle } from '../../simulator/vehicle.js';
import { LOCATION_BODY_LENGTH, writeLocation } from '../../simulator/wire.js';
import type { SpooledRecord } from '../../src/decode/decode-records.js';
import { FLAG_AUTHENTICATED, recordSize, writeRecordAt } from '../../src/decode/record.js';

export interface FleetRecordOptions {
  terminals: number;
  records: number;
  seed?: number;
  /** Device time the fleet starts at, epoch ms (default 2026-11-20 00:00 UTC). */
  startMs?: number;
}

/** Min-heap of vehicle indices by the time of their next sample. */
function vehicleHeap(vehicles: Vehicle[]): { top(): number; fix(): void } {
  const heap = vehicles.map((_, i) => i);
  const key = (h: number): number => vehicles[heap[h]].nextTimeMs;
  const down = (h: number): void => {
    for (;;) {
      const l = 2 * h + 1;
      if (l >= heap.length) return;
      const c = l + 1 < heap.length && key(l + 1) < key(l) ? l + 1 : l;
      if (key(h) <= key(c)) return;
      [heap[h], heap[c]] = [heap[c], heap[h]];
      h = c;
    }
  };
  for (let h = (heap.length >> 1) - 1; h >= 0; h--) down(h);
  return { top: () => heap[0], fix: () => down(0) };
}

export function fleetRecords(o: FleetRecordOptions): SpooledRecord[] {
  const startMs = o.startMs ?? Date.UTC(2026, 10, 20);
  const fleet: FleetOptions = {
    terminals: o.terminals,
    seed: o.seed ?? 1,
    protocol: 'mix',
    firstId: 13_900_000_000,
    area: CHONGQING,
    startDay: localDayNumber(startMs),
    ...chooseSampling(null),
    spanMs: 86_400_000,
    runMs: 0,
    faults: NO_FAULTS,
  };
  const specs = buildFleet(fleet);
  const vehicles = specs.map((s) => createVehicle(fleet, s));
  const heap = vehicleHeap(vehicles);
  const rng = new Rng(fleet.seed);
  const sample = newSample();
  const body = new Uint8Array(LOCATION_BODY_LENGTH);
  const bytes = Buffer.alloc(o.records * recordSize('0'.repeat(20), LOCATION_BODY_LENGTH));
  const made: { stampMs: number; at: number; length: number }[] = [];
  let at = 0;
  for (let i = 0; i < o.records; i++) {
    const v = heap.top();
    vehicles[v].next(sample);
    heap.fix();
    writeLocation(body, 0, sample, sample.timeMs);
    const spec = specs[v];
    const header = { msgId: 0x0200, serial: i & 0xffff, layout: spec.layout, phoneBcd: spec.phoneBcd };
    const length = writeRecordAt(bytes, at, FLAG_AUTHENTICATED, 480, header, body, 0, body.length);
    made.push({ stampMs: sample.timeMs + 200 + Math.floor(rng.next() * 1800), at, length });
    at += length;
  }
  made.sort((a, b) => a.stampMs - b.stampMs); // the spool holds records in arrival order
  // Laid out in that order too, as a worker's batch is: reading them then walks memory forward.
  const spool = Buffer.alloc(at);
  let to = 0;
  return made.map((m) => {
    bytes.copy(spool, to, m.at, m.at + m.length);
    to += m.length;
    return { stampMs: m.stampMs, data: spool.subarray(to - m.length, to) };
  });
}
