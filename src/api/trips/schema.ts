import { errorResponses, idParams, q } from '../schemas.js';

export const TRIP_FORMATS = ['json', 'csv', 'protobuf'] as const;

export const tripsSchema = {
  summary: 'Trips of one terminal that overlap a time range',
  description:
    'A trip overlapping [from, to) is returned whole, with the same id and figures whatever the range. Trips of days ' +
    'the rollup has not closed yet (today) are computed live (`live: true`). Range: at most 366 days.',
  tags: ['trips'],
  params: idParams,
  querystring: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: { from: q.from, to: q.to, format: { type: 'string', enum: TRIP_FORMATS, default: 'json' } },
  },
  response: {
    200: {
      description: 'Trips (JSON shown; see `format`)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['id', 'from', 'to', 'count', 'trips'],
            properties: {
              id: { type: 'string' },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              count: { type: 'integer' },
              trips: { type: 'array', items: { $ref: 'Trip#' } },
            },
          },
        },
        'text/csv': { schema: { type: 'string' } },
        'application/x-protobuf': { schema: { type: 'string', format: 'binary', description: 'fleetgate.v1.Trips' } },
      },
    },
    ...errorResponses,
  },
} as const;

export interface TripsQuerystring {
  from: string;
  to: string;
  format: (typeof TRIP_FORMATS)[number];
}
