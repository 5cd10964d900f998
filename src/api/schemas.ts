/**
 * Schemas shared by the resource plugins, added once with `addSchema` and referenced as `{ $ref: 'Name#' }`;
 * OpenAPI shows them as components under the same names.
 */
import type { FastifyInstance } from 'fastify';
import { ERRORS } from './errors.js';

const time = { type: 'string', format: 'date-time', description: 'ISO 8601, UTC', examples: ['2026-07-01T08:00:00Z'] } as const;

export const ErrorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error: the HTTP status, a stable code (see docs/API.md), its reason phrase and a message for people.',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(ERRORS) },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

export const PlaceSchema = {
  $id: 'Place',
  type: 'object',
  required: ['time', 'lat', 'lon'],
  properties: { time, lat: { type: 'number' }, lon: { type: 'number' } },
} as const;

export const PositionSchema = {
  $id: 'Position',
  type: 'object',
  description: 'The latest position of a terminal. `mileageKm` is omitted when the terminal reports no odometer.',
  required: ['id', 'time', 'lat', 'lon', 'speedKmh', 'direction', 'acc', 'alarm', 'status'],
  properties: {
    id: { type: 'string', description: 'Canonical terminal id' },
    time,
    lat: { type: 'number' },
    lon: { type: 'number' },
    speedKmh: { type: 'number' },
    direction: { type: 'integer', description: 'Degrees, 0 = north' },
    acc: { type: 'boolean', description: 'Ignition (status bit 0)' },
    alarm: { type: 'integer', description: 'JT/T 808 alarm flags' },
    status: { type: 'integer', description: 'JT/T 808 status flags' },
    mileageKm: { type: 'number' },
  },
} as const;

export const TrackPointSchema = {
  $id: 'TrackPoint',
  type: 'object',
  description: 'One report. `mileageKm` and `fuelL` are omitted when the report does not carry them.',
  required: ['time', 'lat', 'lon', 'speedKmh', 'direction', 'altitudeM', 'acc', 'alarm', 'status', 'backfill'],
  properties: {
    time,
    lat: { type: 'number' },
    lon: { type: 'number' },
    speedKmh: { type: 'number' },
    direction: { type: 'integer' },
    altitudeM: { type: 'integer' },
    acc: { type: 'boolean' },
    alarm: { type: 'integer' },
    status: { type: 'integer' },
    mileageKm: { type: 'number', description: 'Odometer (extra item 0x01)' },
    fuelL: { type: 'number', description: 'Fuel level (extra item 0x02)' },
    backfill: { type: 'boolean', description: 'Uploaded late from the blind-area buffer (0x0704)' },
  },
} as const;

export const TripSchema = {
  $id: 'Trip',
  type: 'object',
  description: 'A trip (ACC-on run, rule set r1). Its id and figures do not depend on the range asked.',
  required: ['id', 'day', 'start', 'end', 'durationS', 'distanceKm', 'maxSpeedKmh', 'drivingS', 'idleS', 'endReason', 'live'],
  properties: {
    id: { type: 'string', description: '<terminal>-<start epoch s>: stable across restatements' },
    day: { type: 'string', format: 'date', description: 'Local day the trip belongs to (its start)' },
    revision: { type: 'integer', description: "Revision of the day's figures; absent when computed live" },
    start: { $ref: 'Place#' },
    end: { $ref: 'Place#' },
    durationS: { type: 'integer' },
    distanceKm: { type: 'number', description: "From the source the trip's day uses (see mileage)" },
    odometerKm: { type: 'number' },
    gpsKm: { type: 'number' },
    maxSpeedKmh: { type: 'number' },
    drivingS: { type: 'integer' },
    idleS: { type: 'integer' },
    endReason: { type: 'string', enum: ['acc_off', 'gap', 'open', 'cut'] },
    live: { type: 'boolean', description: 'Computed from raw positions because its day is not closed yet' },
  },
} as const;

export const IgnitionEventSchema = {
  $id: 'IgnitionEvent',
  type: 'object',
  required: ['time', 'type', 'lat', 'lon'],
  properties: { time, type: { type: 'string', enum: ['on', 'off'] }, lat: { type: 'number' }, lon: { type: 'number' } },
} as const;

const SHARED = [ErrorSchema, PlaceSchema, PositionSchema, TrackPointSchema, TripSchema, IgnitionEventSchema];

export function addSharedSchemas(app: FastifyInstance): void {
  for (const s of SHARED) app.addSchema(s);
}

const err = { $ref: 'Error#' } as const;

/** The error responses every /api/v1 route can give. */
export const errorResponses = { 400: err, 401: err, 403: err, 404: err, 429: err, 500: err, 503: err } as const;

/** Query parameter schemas used by several routes. */
export const q = {
  from: { type: 'string', format: 'instant', description: 'Start, included: ISO 8601 with a zone, a date (local midnight) or epoch ms' },
  to: { type: 'string', format: 'instant', description: 'End, excluded: ISO 8601 with a zone, a date (local midnight) or epoch ms' },
  dayFrom: { type: 'string', format: 'instant', description: 'Start, included: a date (2026-07-01) or a time; every local day overlapping [from, to) is in' },
  dayTo: { type: 'string', format: 'instant', description: 'End, excluded: a date (2026-10-01 = up to 2026-09-30) or a time' },
  period: { type: 'string', format: 'period', description: 'Instead of from/to: a year (2026), quarter (2026-Q3) or month (2026-07)' },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', format: 'terminal-id', description: 'Terminal id; leading zeros are ignored' } },
} as const;
