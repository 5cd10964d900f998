import { errorResponses, idParams } from '../schemas.js';

const time = { type: 'string', format: 'date-time' } as const;

export const TerminalSchema = {
  $id: 'Terminal',
  type: 'object',
  description: 'Registration facts, online state and latest position. Absent values are omitted.',
  required: ['id', 'registered', 'provisioned', 'online'],
  properties: {
    id: { type: 'string', description: 'Canonical id (digits, leading zeros stripped)' },
    plate: { type: 'string' },
    plateColor: { type: 'integer', description: 'JT/T 808 plate colour code' },
    manufacturer: { type: 'string' },
    model: { type: 'string' },
    deviceId: { type: 'string' },
    protocolVersion: { type: 'string', description: '2011 | 2013 | 2019: what it registered with, else what it speaks' },
    registered: { type: 'boolean', description: 'Has registered (0x0100) and holds an auth code' },
    provisioned: { type: 'boolean', description: 'On the allowlist' },
    registeredAt: time,
    online: { type: 'boolean' },
    authenticated: { type: 'boolean', description: 'The live session has authenticated (0x0102)' },
    connectedSince: time,
    lastSeen: { ...time, description: 'Last frame of the live session; when offline, the time of the latest position' },
    peer: { type: 'string', description: 'Address of the live session' },
    latestPosition: { $ref: 'Position#' },
  },
} as const;

export const listSchema = {
  summary: 'Terminals',
  description: 'Every terminal the gateway knows (registered or provisioned), ordered by id, a page at a time.',
  tags: ['terminals'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      online: { type: 'boolean', description: 'Only connected (true) or only disconnected (false) terminals' },
      plate: { type: 'string', minLength: 1, maxLength: 32, description: 'Plate contains this text (case-insensitive)' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['total', 'offset', 'limit', 'terminals'],
      properties: {
        total: { type: 'integer', description: 'Terminals matching the filters' },
        offset: { type: 'integer' },
        limit: { type: 'integer' },
        terminals: { type: 'array', items: { $ref: 'Terminal#' } },
      },
    },
    ...errorResponses,
  },
} as const;

export const getSchema = {
  summary: 'One terminal',
  tags: ['terminals'],
  params: idParams,
  response: { 200: { $ref: 'Terminal#' }, ...errorResponses },
} as const;

export const provisionSchema = {
  summary: 'Add terminals to the allowlist (admin)',
  description: 'Provisioned terminals may register when FLEETGATE_REGISTRATION=allowlist. Existing registrations are kept. Needs an admin key.',
  tags: ['terminals'],
  body: {
    type: 'object',
    required: ['ids'],
    additionalProperties: false,
    properties: {
      ids: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', format: 'terminal-id' } },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['provisioned', 'ids'],
      properties: { provisioned: { type: 'integer' }, ids: { type: 'array', items: { type: 'string' } } },
    },
    ...errorResponses,
  },
} as const;

export interface ListQuerystring {
  online?: boolean;
  plate?: string;
  limit: number;
  offset: number;
}
