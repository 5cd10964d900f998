import { errorResponses, idParams, q } from '../schemas.js';

export const IGNITION_FORMATS = ['json', 'csv', 'protobuf'] as const;

export const ignitionSchema = {
  summary: 'Ignition (ACC) on/off events of one terminal',
  description: 'ACC transitions in device-time order, as the decoder saw them (each once). Range: at most 366 days.',
  tags: ['ignition'],
  params: idParams,
  querystring: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: { from: q.from, to: q.to, format: { type: 'string', enum: IGNITION_FORMATS, default: 'json' } },
  },
  response: {
    200: {
      description: 'Events (JSON shown; see `format`)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['id', 'from', 'to', 'count', 'events'],
            properties: {
              id: { type: 'string' },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              count: { type: 'integer' },
              events: { type: 'array', items: { $ref: 'IgnitionEvent#' } },
            },
          },
        },
        'text/csv': { schema: { type: 'string' } },
        'application/x-protobuf': { schema: { type: 'string', format: 'binary', description: 'fleetgate.v1.IgnitionEvents' } },
      },
    },
    ...errorResponses,
  },
} as const;

export interface IgnitionQuerystring {
  from: string;
  to: string;
  format: (typeof IGNITION_FORMATS)[number];
}
