/**
 * One official vehicle's days, as a stream of position samples in device time.
 *
 * A day is planned first (how many trips, when, how far: ≈1.3 trips and ≈17 km a day on average, fewer on
 * weekends, USERS.md §0), then sampled: every `movingS` seconds while ACC is on, every `parkedS`
 * seconds while parked, plus a sample at each ACC change (JT808 terminals report a status change at
 * once, SPEC §7.9.2). Trips start and end parked, so ACC on/off, speed, heading, odometer and fuel are
 * consistent with the positions. Times are whole seconds (BCD time resolution) and strictly increase.
 *
 * Determinism: day plans draw from (seed, vehicle, day), trip motion from (seed, vehicle, day, trip),
 * so a day does not depend on earlier days' random draws — only on where the vehicle was parked.
 */
import { bearingDeg, haversineDeg, haversineE6, localDayNumber, localDayStart, move, normDeg, weekday, type Point } from './geo.js';
import { hash32, Rng } from './rng.js';

export interface VehicleProfile {
  homeLat: number;
  homeLon: number;
  tankL: number;
  /** Litres per 100 km while moving. */
  consumptionL100: number;
  /** Litres per hour with ACC on and standing. */
  idleLph: number;
  /** Odometer reading at the start, metres. */
  initialOdometerM: number;
  initialFuelL: number;
  /** Reset the reported odometer to 0 at the first trip starting at or after this time (fault injection). */
  odometerResetAfterMs?: number;
}

export interface Area {
  centerLat: number;
  centerLon: number;
  /** Vehicles stay roughly within this distance of the centre. */
  radiusM: number;
}

/** One position sample. Reused by the caller: `next` overwrites it. */
export interface Sample {
  /** True device time, epoch ms UTC, whole seconds. */
  timeMs: number;
  latE6: number;
  lonE6: number;
  /** 0.1 km/h. */
  speedRaw: number;
  direction: number;
  altitudeM: number;
  /** 1 ACC on, 0 off. */
  acc: number;
  /** True distance travelled since the simulation started (sum of chords between samples), metres. */
  distanceM: number;
  /** Odometer as the terminal reports it (0x01, 0.1 km): follows distance, but may have been reset. */
  odometerRaw: number;
  /** Fuel level (0x02, 0.1 L). */
  fuelRaw: number;
  satellites: number;
  rssi: number;
}

export function newSample(): Sample {
  return { timeMs: 0, latE6: 0, lonE6: 0, speedRaw: 0, direction: 0, altitudeM: 0, acc: 0, distanceM: 0, odometerRaw: 0, fuelRaw: 0, satellites: 0, rssi: 0 };
}

export interface OdometerReset {
  timeMs: number;
  /** Reported odometer (0.1 km) just before the reset. */
  beforeRaw: number;
}

interface PlannedTrip {
  startMs: number;
  km: number;
  /** Last trip of a multi-trip day: goes back to base. */
  homeward: boolean;
}

const PARKED = 0;
const TRIP_START = 1;
const DRIVING = 2;
const COOLING = 3;

const HOUR_S = 3600;
const MIN_PARKING_MS = 600_000;
/** Road length over straight-line distance in a hilly city. */
const TORTUOSITY = 1.25;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** A smooth, stateless terrain (160–420 m, Chongqing-like) so altitude follows the position. */
export function altitudeAt(lat: number, lon: number): number {
  return Math.round(270 + 110 * Math.sin(lat * 97) * Math.cos(lon * 83) + 40 * Math.sin(lon * 311));
}

export class Vehicle {
  /** Reported-odometer resets that happened, for the ground truth. */
  readonly resets: OdometerReset[] = [];

  private t: number;
  private mode = PARKED;
  private readonly pos: Point;
  private lastLatE6 = 0;
  private lastLonE6 = 0;
  private started = false;
  private distanceM = 0;
  private odometerBaseM: number;
  private fuelL: number;
  private heading = 0;
  private speedKmh = 0;

  private planDay: number;
  private plan: PlannedTrip[];
  private tripIdx = 0;
  private tripsToday = 0;

  // current trip
  private rng: Rng = new Rng(0);
  private readonly noise: Rng;
  private dest: Point = { lat: 0, lon: 0 };
  private warmLeftS = 0;
  private coolS = 0;
  private stopLeftS = 0;
  private segLeftM = 0;
  private targetKmh = 0;
  private offsetDeg = 0;
  private arrived = false;
  /** When the current or last trip ends (ACC off). */
  private offMs = -Infinity;

  constructor(
    private readonly profile: VehicleProfile,
    private readonly area: Area,
    private readonly seed: number,
    private readonly vid: number,
    readonly movingS: number,
    readonly parkedS: number,
    startMs: number,
  ) {
    this.t = Math.ceil(startMs / 1000) * 1000;
    this.pos = { lat: profile.homeLat, lon: profile.homeLon };
    this.odometerBaseM = profile.initialOdometerM;
    this.fuelL = profile.initialFuelL;
    this.noise = new Rng(hash32(seed, vid, 0x5a));
    this.planDay = localDayNumber(this.t);
    this.plan = this.makePlan(this.planDay).filter((p) => p.startMs > this.t);
  }

  /** Time of the next sample. */
  get nextTimeMs(): number {
    return this.t;
  }

  /** Writes the next sample into `out`. */
  next(out: Sample): void {
    const M = this.movingS * 1000;
    switch (this.mode) {
      case PARKED: {
        this.emit(out, 0);
        const start = this.nextTripStart();
        if (start <= this.t + this.parkedS * 1000) {
          this.t = start;
          this.mode = TRIP_START;
        } else {
          this.t += this.parkedS * 1000;
        }
        return;
      }
      case TRIP_START:
        this.beginTrip();
        this.emit(out, 1);
        this.mode = DRIVING;
        this.t += M;
        return;
      case DRIVING:
        this.drive(this.movingS);
        this.emit(out, 1);
        if (this.arrived) {
          this.mode = COOLING;
          this.offMs = this.t + this.coolS * 1000;
        }
        this.afterAccOn(M);
        return;
      default: {
        // COOLING: standing with ACC on before switching off.
        this.fuelL -= (Math.min(M, this.offMs - this.t) / 3_600_000) * this.profile.idleLph;
        this.emit(out, 1);
        this.afterAccOn(M);
      }
    }
  }

  private afterAccOn(M: number): void {
    if (this.mode === COOLING && this.offMs <= this.t + M) {
      this.t = this.offMs;
      this.mode = PARKED; // the next sample is the ACC-off report
    } else {
      this.t += M;
    }
  }

  private emit(out: Sample, acc: number): void {
    const latE6 = Math.round(this.pos.lat * 1e6);
    const lonE6 = Math.round(this.pos.lon * 1e6);
    if (this.started) this.distanceM += haversineE6(this.lastLatE6, this.lastLonE6, latE6, lonE6);
    this.started = true;
    this.lastLatE6 = latE6;
    this.lastLonE6 = lonE6;
    const speed = acc === 1 ? this.speedKmh : 0;
    out.timeMs = this.t;
    out.latE6 = latE6;
    out.lonE6 = lonE6;
    out.speedRaw = Math.round(speed * 10);
    out.direction = Math.round(this.heading) % 360;
    out.altitudeM = altitudeAt(this.pos.lat, this.pos.lon);
    out.acc = acc;
    out.distanceM = this.distanceM;
    out.odometerRaw = Math.max(0, Math.floor((this.odometerBaseM + this.distanceM) / 100));
    out.fuelRaw = Math.round(clamp(this.fuelL, 0, this.profile.tankL) * 10);
    out.satellites = 9 + this.noise.int(0, 11);
    out.rssi = 18 + this.noise.int(0, 13);
  }

  // ---- planning ------------------------------------------------------------------------------

  /**
   * Start of the next planned trip, at least ten minutes after the last one ended: trips stay apart
   * even when one ran late, so no sane trip rule (ACC hysteresis, parking merge) joins them.
   */
  private nextTripStart(): number {
    let guard = 0;
    while (this.tripIdx >= this.plan.length) {
      this.planDay++;
      this.plan = this.makePlan(this.planDay);
      this.tripIdx = 0;
      this.tripsToday = 0;
      if (++guard > 60) this.plan = [{ startMs: localDayStart(this.planDay) + 9 * HOUR_S * 1000, km: 10, homeward: false }];
    }
    return Math.max(this.plan[this.tripIdx].startMs, this.offMs + MIN_PARKING_MS, this.t + 1000);
  }

  /**
   * A day of an official vehicle: weekdays 0–3 trips (mean ≈1.54), weekends mostly parked (mean
   * ≈0.65) → ≈1.3 a day; trips of ≈13 km (log-normal, 2–45 km), mostly in working hours, some evening
   * duty; the last of several trips returns to base.
   */
  private makePlan(day: number): PlannedTrip[] {
    const rng = new Rng(hash32(this.seed, this.vid, day, 1));
    const wd = weekday(day);
    const weekend = wd === 0 || wd === 6;
    const k = rng.weighted(weekend ? [55, 25, 20, 0] : [8, 42, 38, 12]);
    const midnight = localDayStart(day);
    const trips: PlannedTrip[] = [];
    let s: number;
    if (weekend) s = rng.range(8.5, 15) * HOUR_S;
    else if (rng.chance(0.08)) s = rng.range(19, 20.5) * HOUR_S;
    else s = clamp(8.75 + 1.1 * rng.normal(), 6.5, 16) * HOUR_S;
    for (let i = 0; i < k; i++) {
      if (s > 21.5 * HOUR_S) break;
      const maxKm = s > 20 * HOUR_S ? 20 : 45;
      const km = clamp(Math.exp(Math.log(12) + 0.55 * rng.normal()), 2, maxKm);
      trips.push({ startMs: midnight + Math.round(s) * 1000, km, homeward: k >= 2 && i === k - 1 });
      const estS = (km / 26) * HOUR_S + 300;
      s += estS + rng.range(0.5, 3) * HOUR_S;
    }
    return trips;
  }

  private beginTrip(): void {
    const trip = this.plan[this.tripIdx++];
    const p = this.profile;
    this.rng = new Rng(hash32(this.seed, this.vid, this.planDay, 2 + this.tripIdx));
    const rng = this.rng;
    if (p.odometerResetAfterMs !== undefined && this.t >= p.odometerResetAfterMs && this.resets.length === 0) {
      this.resets.push({ timeMs: this.t, beforeRaw: Math.floor((this.odometerBaseM + this.distanceM) / 100) });
      this.odometerBaseM = -this.distanceM;
    }
    if (this.fuelL < 0.2 * p.tankL) this.fuelL = p.tankL * rng.range(0.85, 0.98); // refuelled while parked
    const home = { lat: p.homeLat, lon: p.homeLon };
    const awayM = haversineDeg(this.pos.lat, this.pos.lon, home.lat, home.lon);
    const goHome = trip.homeward || (this.tripsToday === 0 && awayM > 2000 && rng.chance(0.6));
    this.tripsToday++;
    if (goHome && awayM > 1000) {
      this.dest = home;
    } else {
      const a = this.area;
      const fromCentre = haversineDeg(this.pos.lat, this.pos.lon, a.centerLat, a.centerLon);
      const toCentre = bearingDeg(this.pos.lat, this.pos.lon, a.centerLat, a.centerLon);
      let bearing = fromCentre > a.radiusM * 0.6 ? toCentre + rng.range(-60, 60) : rng.range(0, 360);
      const straightM = (trip.km * 1000) / TORTUOSITY;
      const dest = { lat: this.pos.lat, lon: this.pos.lon };
      move(dest, bearing, straightM);
      if (haversineDeg(dest.lat, dest.lon, a.centerLat, a.centerLon) > a.radiusM) {
        bearing = toCentre;
        dest.lat = this.pos.lat;
        dest.lon = this.pos.lon;
        move(dest, bearing, straightM);
      }
      this.dest = dest;
    }
    this.warmLeftS = rng.int(30, 150);
    this.coolS = rng.int(15, 90);
    this.stopLeftS = 0;
    this.segLeftM = 0;
    this.speedKmh = 0;
    this.offsetDeg = clamp(25 * rng.normal(), -60, 60);
    this.arrived = false;
    this.heading = normDeg(bearingDeg(this.pos.lat, this.pos.lon, this.dest.lat, this.dest.lon));
  }

  /** Advances the trip by `dt` seconds: warm-up, traffic stops, then driving toward the destination. */
  private drive(dt: number): void {
    const p = this.profile;
    const rng = this.rng;
    let rem = dt;
    if (this.warmLeftS > 0) {
      const u = Math.min(this.warmLeftS, rem);
      this.warmLeftS -= u;
      rem -= u;
      this.fuelL -= (u / HOUR_S) * p.idleLph;
    }
    if (rem > 0 && this.stopLeftS > 0) {
      const u = Math.min(this.stopLeftS, rem);
      this.stopLeftS -= u;
      rem -= u;
      this.fuelL -= (u / HOUR_S) * p.idleLph;
      this.speedKmh = 0;
    }
    if (rem <= 0) return;
    const remainingM = haversineDeg(this.pos.lat, this.pos.lon, this.dest.lat, this.dest.lon);
    if (this.segLeftM <= 0) {
      // A new stretch of road: urban street, arterial road or expressway (long trips only).
      const road = rng.weighted(remainingM > 5000 ? [35, 40, 25] : [60, 40, 0]);
      this.targetKmh = road === 0 ? rng.range(25, 45) : road === 1 ? rng.range(40, 60) : rng.range(60, 80);
      this.segLeftM = rng.range(600, 2500);
    }
    const v0 = this.speedKmh;
    const maxDv = 5 * rem; // ≈1.4 m/s²
    const v1 = clamp(clamp(this.targetKmh + 4 * rng.normal(), 8, 90), v0 - maxDv, v0 + maxDv);
    const distM = (((v0 + v1) / 2) * rem) / 3.6;
    if (remainingM <= distM + 20) {
      this.pos.lat = this.dest.lat;
      this.pos.lon = this.dest.lon;
      this.fuelL -= (remainingM / 100_000) * p.consumptionL100;
      this.speedKmh = 0;
      this.arrived = true;
      return;
    }
    if (remainingM < 1500) this.offsetDeg *= 0.3;
    else if (rng.chance(1 - Math.exp(-rem / 90))) this.offsetDeg = clamp(28 * rng.normal(), -65, 65);
    this.heading = normDeg(bearingDeg(this.pos.lat, this.pos.lon, this.dest.lat, this.dest.lon) + this.offsetDeg + 3 * rng.normal());
    move(this.pos, this.heading, distM);
    this.fuelL -= (distM / 100_000) * p.consumptionL100;
    this.segLeftM -= distM;
    this.speedKmh = v1;
    if (remainingM > 800 && rng.chance(1 - Math.exp(-dt / 210))) {
      this.stopLeftS = rng.range(15, 80); // traffic light or jam: standing at the next sample
      this.speedKmh = 0;
    }
  }
}
