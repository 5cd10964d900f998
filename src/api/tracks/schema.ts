import { errorResponses, idParams, q } from '../schemas.js';

export const TRACK_FORMATS = ['json', 'geojson', 'csv', 'protobuf'] as const;

export const trackSchema = {
  summary: 'Track of one terminal',
  description:
    'Points in device-time order, each device second once (the newest copy of a resend). `simplify` (metres) drops ' +
    'parked repeats in SQL, then runs Douglas–Peucker. The range is at most FLEETGATE_MAX_TRACK_DAYS days. Long tracks ' +
    'stream. Formats: json, geojson (a LineString Feature), csv (header row), protobuf (fleetgate.v1.Track).',
  tags: ['tracks'],
  params: idParams,
  querystring: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: {
      from: q.from,
      to: q.to,
      format: { type: 'string', enum: TRACK_FORMATS, default: 'json' },
      simplify: { type: 'number', minimum: 0, maximum: 100_000, description: 'Douglas–Peucker tolerance in metres (0 = none)' },
      limit: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 100_000, description: 'Points at most; `truncated` says when more matched' },
    },
  },
  response: {
    200: {
      description: 'The track (JSON shown; see `format`)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['id', 'from', 'to', 'count', 'truncated', 'points'],
            properties: {
              id: { type: 'string' },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              count: { type: 'integer' },
              truncated: { type: 'boolean' },
              points: { type: 'array', items: { $ref: 'TrackPoint#' } },
            },
          },
        },
        'application/geo+json': { schema: { type: 'object', description: 'GeoJSON Feature' } },
        'text/csv': { schema: { type: 'string' } },
        'application/x-protobuf': { schema: { type: 'string', format: 'binary', description: 'fleetgate.v1.Track' } },
      },
    },
    ...errorResponses,
  },
} as const;

export interface TrackQuerystring {
  from: string;
  to: string;
  format: (typeof TRACK_FORMATS)[number];
  simplify?: number;
  limit: number;
}
