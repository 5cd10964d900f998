import { errorResponses, idParams, q } from '../schemas.js';

const km = { type: 'number' } as const;

const day = {
  type: 'object',
  required: ['date', 'km', 'odometerKm', 'gpsKm', 'source', 'rule', 'flags', 'revision', 'live'],
  properties: {
    date: { type: 'string', format: 'date', description: 'Local day' },
    km: { ...km, description: 'The figure: from `source`' },
    odometerKm: { ...km, description: 'Sum of plausible odometer increases' },
    gpsKm: { ...km, description: 'Filtered GPS distance' },
    source: { type: 'string', enum: ['odometer', 'gps', 'none'] },
    rule: { type: 'string', description: 'Why this source (e.g. odometer_agrees_gps, odometer_anomalies_disagree_gps, no_odometer, no_data)' },
    flags: {
      type: 'array',
      items: { type: 'string', enum: ['odometer_reset', 'odometer_jump', 'gps_jump', 'gap_bridged', 'backfill', 'invalid_fixes', 'restated', 'no_data'] },
      description: 'What the figure had to correct or account for',
    },
    revision: { type: 'integer', description: '1 for the first computation, +1 per restatement; 0 = not stored (live or no data)' },
    live: { type: 'boolean', description: 'Computed live: the day is not closed yet (today)' },
  },
} as const;

export const mileageSchema = {
  summary: 'Mileage of one terminal per local day',
  description:
    'From vehicle_daily for closed days and computed live for days not closed yet (today). Days are local days in ' +
    'FLEETGATE_TIMEZONE overlapping [from, to) (dates: from=2026-07-01&to=2026-08-01 is July), or give `period`. Days ' +
    'after today are left out. `interval=total` gives only the total.',
  tags: ['mileage'],
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      from: q.dayFrom,
      to: q.dayTo,
      period: q.period,
      interval: { type: 'string', enum: ['day', 'total'], default: 'day' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['id', 'from', 'to', 'timezone', 'total'],
      properties: {
        id: { type: 'string' },
        from: { type: 'string', format: 'date' },
        to: { type: 'string', format: 'date', description: 'First day not included' },
        timezone: { type: 'string' },
        days: { type: 'array', items: day },
        total: {
          type: 'object',
          required: ['km', 'odometerKm', 'gpsKm', 'days', 'daysWithData'],
          properties: { km, odometerKm: km, gpsKm: km, days: { type: 'integer' }, daysWithData: { type: 'integer' } },
        },
      },
    },
    ...errorResponses,
  },
} as const;

export interface MileageQuerystring {
  from?: string;
  to?: string;
  period?: string;
  interval: 'day' | 'total';
}
