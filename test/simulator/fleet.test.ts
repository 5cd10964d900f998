/**
 * The fleet model: deterministic from the seed, and a plausible official-vehicle day (USERS.md §0:
 * ≈1.3 trips and ≈17 km per vehicle per day around Chongqing), with ACC, speed, heading, odometer and
 * fuel consistent with the positions.
 */
import t from 'tap';
import { buildFleet, chooseSampling, createVehicle, CHONGQING, NO_FAULTS, reportsPerDay, type FleetOptions } from '../../simulator/fleet.js';
import { haversineE6, localDayStart, parseLocalDate, weekday } from '../../simulator/geo.js';
import { newSample, type Sample } from '../../simulator/vehicle.js';
import { encodeGbk } from '../../protocols/jt808/index.js';

const START = parseLocalDate('2026-03-02')!; // a Monday

function fleet(over: Partial<FleetOptions> = {}): FleetOptions {
  return {
    terminals: 60,
    seed: 42,
    protocol: 'mix',
    firstId: 13900000000,
    area: CHONGQING,
    startDay: START,
    movingS: 10,
    parkedS: 300,
    spanMs: 28 * 86_400_000,
    runMs: 0,
    faults: NO_FAULTS,
    ...over,
  };
}

function samples(o: FleetOptions, index: number, days: number): Sample[] {
  const v = createVehicle(o, buildFleet({ ...o, terminals: index + 1 })[index]);
  const end = localDayStart(o.startDay + days);
  const out: Sample[] = [];
  while (v.nextTimeMs < end) {
    const s = newSample();
    v.next(s);
    out.push(s);
  }
  return out;
}

t.test('same seed, same fleet; another seed, another fleet', async (t) => {
  const a = samples(fleet(), 3, 3);
  const b = samples(fleet(), 3, 3);
  t.same(a, b, 'identical samples for the same seed');
  const c = samples(fleet({ seed: 43 }), 3, 3);
  t.not(JSON.stringify(a), JSON.stringify(c), 'a different seed gives a different day');
  const specs = buildFleet(fleet());
  t.same(buildFleet(fleet()), specs, 'identities are reproducible');
  // A terminal's days do not depend on how many terminals the fleet has.
  t.same(samples(fleet({ terminals: 5 }), 3, 2), samples(fleet({ terminals: 500 }), 3, 2), 'independent of fleet size');
});

t.test('identities: ids, phone BCD per protocol, GBK plates', async (t) => {
  const specs = buildFleet(fleet({ terminals: 4 }));
  t.same(specs.map((s) => s.id), ['13900000000', '13900000001', '13900000002', '13900000003']);
  t.same(specs.map((s) => s.layout), ['2013', '2019', '2013', '2019'], 'mix alternates 2013 / 2019');
  t.equal(specs[0].phoneBcd, '013900000000', '2013: BCD[6], 12 digits');
  t.equal(specs[1].phoneBcd, '00000000013900000001', '2019: BCD[10], 20 digits');
  for (const s of specs) {
    t.match(s.plate, /^渝[A-Z][0-9A-Z]{5}$/, `plate ${s.plate}`);
    t.equal(encodeGbk(s.plate).length, 8, 'plate encodes in GBK');
  }
});

t.test('plausible official-vehicle days (60 vehicles × 28 days)', async (t) => {
  const o = fleet();
  const days = 28;
  let trips = 0;
  let km = 0;
  let weekendTrips = 0;
  let weekdayTrips = 0;
  const problems: string[] = [];
  for (let i = 0; i < o.terminals; i++) {
    const s = samples(o, i, days);
    const tank = buildFleet({ ...o, terminals: i + 1 })[i].profile.tankL;
    let lastOff = -Infinity;
    for (let k = 0; k < s.length; k++) {
      const x = s[k];
      const note = (m: string): void => void (problems.length < 10 && problems.push(`vehicle ${i} sample ${k}: ${m}`));
      if (x.timeMs % 1000 !== 0) note('time not whole seconds');
      if (x.speedRaw > 1000) note(`speed ${x.speedRaw / 10} km/h`);
      if (x.acc === 0 && x.speedRaw !== 0) note('moving with ACC off');
      if (x.direction < 0 || x.direction > 359) note(`heading ${x.direction}`);
      if (x.fuelRaw < 0 || x.fuelRaw > tank * 10) note(`fuel ${x.fuelRaw / 10} L`);
      if (haversineE6(29_560_000, 106_550_000, x.latE6, x.lonE6) > 40_000) note('more than 40 km from the centre');
      if (k === 0) continue;
      const p = s[k - 1];
      const dt = (x.timeMs - p.timeMs) / 1000;
      if (dt <= 0) note('time not increasing');
      const d = haversineE6(p.latE6, p.lonE6, x.latE6, x.lonE6);
      if (d / dt > 25.5) note(`jump of ${d.toFixed(0)} m in ${dt} s`);
      if (Math.abs(x.distanceM - p.distanceM - d) > 0.01) note('distance does not follow the positions');
      if (x.odometerRaw < p.odometerRaw) note('odometer went backwards');
      if (x.acc === 1 && p.acc === 0) {
        trips++;
        if (x.speedRaw !== 0) note('trip starts moving');
        if (x.timeMs - lastOff < 600_000) note('parked less than 10 minutes between trips');
        const wd = weekday(Math.floor((x.timeMs + 8 * 3_600_000) / 86_400_000));
        if (wd === 0 || wd === 6) weekendTrips++;
        else weekdayTrips++;
      }
      if (x.acc === 0 && p.acc === 1) {
        lastOff = x.timeMs;
        if (d > 0) note('moved while switching off');
      }
    }
    km += (s[s.length - 1].distanceM - s[0].distanceM) / 1000;
    const odoKm = (s[s.length - 1].odometerRaw - s[0].odometerRaw) / 10;
    if (Math.abs(odoKm - (s[s.length - 1].distanceM - s[0].distanceM) / 1000) > 0.11) problems.push(`vehicle ${i}: odometer ${odoKm} km vs distance`);
  }
  t.same(problems, [], 'every sample is physically consistent');
  const vd = o.terminals * days;
  t.ok(trips / vd > 1.1 && trips / vd < 1.5, `≈1.3 trips per vehicle-day (got ${(trips / vd).toFixed(2)})`);
  t.ok(km / vd > 13 && km / vd < 21, `≈17 km per vehicle-day (got ${(km / vd).toFixed(1)})`);
  t.ok(weekdayTrips / 20 > (weekendTrips / 8) * 1.5, 'official vehicles drive less at weekends');
});

t.test('compression: the reports of a run cover the simulated day', async (t) => {
  for (const perDay of [60, 300, 2000]) {
    const { movingS, parkedS } = chooseSampling(perDay);
    const o = fleet({ movingS, parkedS, terminals: 40 });
    let total = 0;
    for (let i = 0; i < 40; i++) total += samples(o, i, 7).length;
    const measured = total / (40 * 7);
    t.ok(Math.abs(measured - perDay) / perDay < 0.3, `${perDay} reports/day asked → ${movingS} s / ${parkedS} s sampling gives ${measured.toFixed(0)}`);
    t.ok(Math.abs(reportsPerDay(movingS, parkedS) - perDay) / perDay < 0.3, 'the planning estimate agrees');
  }
  t.same(chooseSampling(null), { movingS: 10, parkedS: 300 }, 'closed loop: field sampling 10 s / 300 s');
});

t.test('faults carried by the fleet: clock skew, odometer reset, offline episodes', async (t) => {
  const o = fleet({ terminals: 200, runMs: 60_000, faults: { backfill: 0.25, offlineMs: 0, clockSkewS: 120, clockSkewFraction: 0.1, odometerReset: 0.2 } });
  const specs = buildFleet(o);
  const skewed = specs.filter((s) => s.clockSkewS !== 0);
  t.ok(skewed.length > 8 && skewed.length < 35, `about 10 % skewed (${skewed.length})`);
  t.ok(skewed.every((s) => Math.abs(s.clockSkewS) <= 120), 'skew within ±120 s');
  const offline = specs.filter((s) => s.offline !== null);
  t.ok(offline.length > 30 && offline.length < 75, `about 25 % go offline (${offline.length})`);
  t.ok(offline.every((s) => s.offline!.atMs >= 12_000 && s.offline!.atMs + s.offline!.forMs <= 51_000), 'episodes inside the run');
  const resetting = specs.filter((s) => s.profile.odometerResetAfterMs !== undefined);
  t.ok(resetting.length > 20, `some odometers reset (${resetting.length})`);
  const i = resetting[0].index;
  const v = createVehicle(o, specs[i]);
  const s = newSample();
  let last = -1;
  let dropped = false;
  while (v.nextTimeMs < localDayStart(START + 28)) {
    v.next(s);
    if (last >= 0 && s.odometerRaw < last) dropped = true;
    last = s.odometerRaw;
  }
  t.ok(dropped && v.resets.length === 1, 'the reported odometer drops once');
  t.ok(s.distanceM > 0, 'the true distance keeps counting');
});
