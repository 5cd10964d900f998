import { errorResponses, q } from '../schemas.js';

export const REPORT_FORMATS = ['json', 'csv'] as const;

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;

export const FLEET_COLUMNS = [
  'id', 'plate', 'km', 'source', 'odometerSourceKm', 'gpsSourceKm', 'trips', 'drivingHours', 'idleHours', 'fuelUsedL',
  'daysUsed', 'daysInRange', 'daysReported', 'tripsOutsideHours', 'kmOutsideHours', 'maxSpeedKmh',
] as const;

export const fleetRow = {
  type: 'object',
  required: [...FLEET_COLUMNS.filter((c) => c !== 'plate')],
  properties: {
    id: { type: 'string' },
    plate: { type: 'string' },
    km: { ...num, description: "Sum of the days' chosen distance" },
    source: { type: 'string', enum: ['odometer', 'gps', 'mixed', 'none'], description: 'Where the km came from: one source on every day, or mixed' },
    odometerSourceKm: { ...num, description: 'Part of km from days whose figure is the odometer' },
    gpsSourceKm: { ...num, description: 'Part of km from days whose figure is GPS distance' },
    trips: int,
    drivingHours: num,
    idleHours: { ...num, description: 'ACC on, below 5 km/h' },
    fuelUsedL: num,
    daysUsed: { ...int, description: 'Days with at least one trip' },
    daysInRange: int,
    daysReported: { ...int, description: 'Days with any report' },
    tripsOutsideHours: { ...int, description: 'Trips not wholly inside one working window (FLEETGATE_WORKING_HOURS)' },
    kmOutsideHours: { ...num, description: 'Whole distance of those trips' },
    maxSpeedKmh: num,
  },
} as const;

export const fleetSchema = {
  summary: 'Fleet report: one row per terminal over a calendar range',
  description:
    'Summed from the daily rollup (vehicle_daily), so a quarter for the whole fleet is one fast call. Local days in ' +
    'FLEETGATE_TIMEZONE overlapping [from, to) (dates: from=2026-07-01&to=2026-10-01 is Q3), or give `period` (2026-Q3). Covers closed days only ' +
    '(`closedThrough`); terminals the gateway knows but without figures get a row of zeros.',
  tags: ['reports'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { from: q.dayFrom, to: q.dayTo, period: q.period, format: { type: 'string', enum: REPORT_FORMATS, default: 'json' } },
  },
  response: {
    200: {
      description: 'The report (JSON shown; csv has one header row and the same columns)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['from', 'to', 'timezone', 'workingHours', 'days', 'count', 'rows'],
            properties: {
              from: { type: 'string', format: 'date' },
              to: { type: 'string', format: 'date', description: 'First day not included' },
              timezone: { type: 'string' },
              workingHours: { type: 'string' },
              days: int,
              closedThrough: { type: 'string', format: 'date', description: 'Last day the rollup has closed' },
              count: int,
              rows: { type: 'array', items: fleetRow },
            },
          },
        },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    ...errorResponses,
  },
} as const;

const figures = {
  type: 'object',
  required: ['revision', 'km', 'source', 'odometerKm', 'gpsKm', 'trips', 'drivingS', 'idleS', 'fuelUsedL', 'maxSpeedKmh'],
  properties: {
    revision: int, km: num, source: { type: 'string' }, odometerKm: num, gpsKm: num, trips: int, drivingS: int, idleS: int,
    fuelUsedL: num, maxSpeedKmh: num,
  },
} as const;

export const revisionsSchema = {
  summary: 'What late data changed',
  description:
    'Every restatement of a terminal-day computed in [since, until): the figures before and after, the cause ' +
    '(backfill, late_data, neighbour_day, rules_changed, recompute), the late rows behind it and the changed fields. ' +
    'Oldest first; page with `since` = the last `computedAt` when `truncated`.',
  tags: ['reports'],
  querystring: {
    type: 'object',
    required: ['since'],
    additionalProperties: false,
    properties: {
      since: { ...q.from, description: 'Computed at or after this time' },
      until: { ...q.to, description: 'Computed before this time (default now)' },
      terminal: { type: 'string', format: 'terminal-id', description: 'Only this terminal' },
      limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['since', 'until', 'count', 'truncated', 'revisions'],
      properties: {
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
        count: int,
        truncated: { type: 'boolean' },
        revisions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['terminal', 'day', 'reason', 'lateRows', 'changes', 'computedAt', 'after'],
            properties: {
              terminal: { type: 'string' },
              day: { type: 'string', format: 'date' },
              reason: { type: 'string' },
              lateRows: int,
              changes: { type: 'string', description: 'field old→new; …' },
              computedAt: { type: 'string', format: 'date-time' },
              before: figures,
              after: figures,
            },
          },
        },
      },
    },
    ...errorResponses,
  },
} as const;

export interface FleetQuerystring {
  from?: string;
  to?: string;
  period?: string;
  format: (typeof REPORT_FORMATS)[number];
}

export interface RevisionsQuerystring {
  since: string;
  until?: string;
  terminal?: string;
  limit: number;
}
