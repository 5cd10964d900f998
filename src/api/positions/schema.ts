import { errorResponses } from '../schemas.js';

export const LATEST_FORMATS = ['json', 'geojson', 'protobuf'] as const;
export const MAX_IDS = 1000;

export const latestSchema = {
  summary: 'Latest position of every terminal, or of the given ones',
  description:
    'From memory (updated by every decoded batch), seeded from ClickHouse after a restart (the last 7 days); terminals ' +
    'asked by id and not in memory are looked up in ClickHouse, whatever their age. Filters combine: ids, bbox, since.',
  tags: ['positions'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ids: { type: 'string', maxLength: 25_000, description: `Comma-separated terminal ids (at most ${MAX_IDS})` },
      bbox: { type: 'string', maxLength: 200, description: 'minLon,minLat,maxLon,maxLat in degrees' },
      since: { type: 'string', format: 'instant', description: 'Only positions at or after this time' },
      format: { type: 'string', enum: LATEST_FORMATS, default: 'json' },
    },
  },
  response: {
    200: {
      description: 'Positions, ordered by terminal id (JSON shown; see `format`)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['count', 'positions'],
            properties: { count: { type: 'integer' }, positions: { type: 'array', items: { $ref: 'Position#' } } },
          },
        },
        'application/geo+json': { schema: { type: 'object', description: 'GeoJSON FeatureCollection of Points' } },
        'application/x-protobuf': { schema: { type: 'string', format: 'binary', description: 'fleetgate.v1.Positions' } },
      },
    },
    ...errorResponses,
  },
} as const;

export interface LatestQuerystring {
  ids?: string;
  bbox?: string;
  since?: string;
  format: (typeof LATEST_FORMATS)[number];
}
