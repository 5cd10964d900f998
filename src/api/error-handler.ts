/**
 * Turns every failure into the one error shape. Schema failures become FG_ERR_BAD_PARAMETER naming the
 * parameter and why (ajv's first error, rewritten for people); Fastify's own 4xx keep their status; storage
 * failures are 503; anything else is a 500 whose details stay in the log.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueryError } from '../store/db.js';
import { ApiError, quote, type ErrorCode } from './errors.js';
import { FORMAT_HINTS } from './params.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'a boolean (true or false)', object: 'a JSON object', array: 'a list',
};

const PLACE: Record<string, string> = { querystring: 'parameter', params: 'parameter', body: 'body field', headers: 'header' };

/** `/ids/3` → `ids[3]`. */
function fieldName(path: string): string {
  return path.replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
}

function valueAt(req: FastifyRequest, context: string, path: string): unknown {
  let v: unknown = context === 'querystring' ? req.query : context === 'params' ? req.params : context === 'body' ? req.body : req.headers;
  for (const k of path.split('/').filter(Boolean)) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The parameter names a route's querystring schema allows (for "unknown parameter" messages). */
function allowed(req: FastifyRequest, context: string): string[] {
  const schema = (req.routeOptions.schema as Record<string, { properties?: Record<string, unknown> }> | undefined)?.[context];
  return Object.keys(schema?.properties ?? {});
}

export function validationMessage(req: FastifyRequest, context: string, e: AjvError): string {
  const place = PLACE[context] ?? context;
  const p = e.params;
  if (e.keyword === 'required') return `${place} ${fieldName(`${e.instancePath}/${String(p.missingProperty)}`)}: is required`;
  if (e.keyword === 'additionalProperties') {
    const names = allowed(req, context);
    return `${place} ${String(p.additionalProperty)}: unknown${names.length ? ` (allowed: ${names.join(', ')})` : ''}`;
  }
  const name = fieldName(e.instancePath);
  // The whole body (or query) failing its type: `body: must be an object`.
  const subject = name === '' ? (context === 'body' ? 'body' : context) : `${place} ${name}`;
  const got = valueAt(req, context, e.instancePath);
  const shown = got === undefined ? '' : ` (got ${quote(got)})`;
  switch (e.keyword) {
    case 'format': {
      const hint = FORMAT_HINTS[p.format as keyof typeof FORMAT_HINTS];
      return `${subject}: ${hint ?? `must be in format ${String(p.format)}`}${shown}`;
    }
    case 'enum':
      return `${subject}: must be one of ${(p.allowedValues as unknown[]).join(', ')}${shown}`;
    case 'type':
      return `${subject}: must be ${TYPE_WORDS[String(p.type)] ?? `of type ${String(p.type)}`}${Array.isArray(got) && context !== 'body' ? ' (given more than once)' : shown}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${subject}: ${e.message ?? 'out of range'}${shown}`;
    case 'maxLength':
      return `${subject}: must be at most ${String(p.limit)} characters`;
    case 'minLength':
      return `${subject}: must not be empty`;
    case 'maxItems':
    case 'minItems':
      return `${subject}: ${e.message ?? 'wrong number of items'}`;
    default:
      return `${subject}: ${e.message ?? 'is not valid'}${shown}`;
  }
}

/** Fastify's own client errors, by code, onto ours. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'FG_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'FG_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'FG_ERR_BAD_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'FG_ERR_BAD_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'FG_ERR_BAD_BODY',
  FST_ERR_BAD_URL: 'FG_ERR_BAD_PARAMETER',
  FST_ERR_ASYNC_CONSTRAINT: 'FG_ERR_BAD_PARAMETER',
};

export function toApiError(err: FastifyError | Error, req: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const context = fe.validationContext ?? 'querystring';
    return new ApiError(context === 'body' ? 'FG_ERR_BAD_BODY' : 'FG_ERR_BAD_PARAMETER', validationMessage(req, context, fe.validation[0]));
  }
  if (err instanceof QueryError) return new ApiError('FG_ERR_STORAGE_UNAVAILABLE', 'storage did not answer the query; retry later');
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new ApiError(mapped, mapped === 'FG_ERR_BAD_BODY' ? `body: ${fe.message}` : fe.message);
  if (fe.statusCode === 429) return new ApiError('FG_ERR_RATE_LIMITED', fe.message);
  return new ApiError('FG_ERR_INTERNAL', 'internal error; it is logged with this request id');
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const e = toApiError(err, req);
    if (e.statusCode >= 500) req.log.error({ err, reqId: req.id, url: req.routeOptions.url }, 'request failed');
    else req.log.debug({ code: e.code, msg: e.message }, 'request refused');
    // A failure after a stream started cannot change the status line: the socket is cut instead (Fastify).
    reply.code(e.statusCode).headers({ ...e.headers, 'content-type': 'application/json; charset=utf-8' });
    if (e.statusCode >= 500) reply.header('x-request-id', String(req.id));
    return reply.send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError('FG_ERR_ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
    return reply.code(404).send(e.body());
  });
}
