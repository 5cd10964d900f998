/**
 * The API's one error shape, `{ statusCode, code, error, message }` (STYLE.md rule 8), and its catalog of
 * codes. Every code is documented in docs/API.md (a test keeps the table and this list equal). Messages are
 * written for the caller: which parameter, what was wrong, what is allowed; internals never reach them.
 */
import { STATUS_CODES } from 'node:http';

export const ERRORS = {
  FG_ERR_BAD_PARAMETER: { statusCode: 400, description: 'A path or query parameter is missing, malformed, out of range, or unknown; the message names it and says why.' },
  FG_ERR_BAD_BODY: { statusCode: 400, description: 'The request body is not valid JSON or does not match the route\'s schema; the message names the field.' },
  FG_ERR_UNAUTHORIZED: { statusCode: 401, description: 'API keys are configured and the request has no `Authorization: Bearer <key>` header, or the key is unknown.' },
  FG_ERR_FORBIDDEN: { statusCode: 403, description: 'The key is valid but its scope does not allow this route (a `read` key on an admin route), or an admin route was called with no keys configured.' },
  FG_ERR_TERMINAL_NOT_FOUND: { statusCode: 404, description: 'No terminal with this id is registered or has ever reported.' },
  FG_ERR_ROUTE_NOT_FOUND: { statusCode: 404, description: 'No route for this method and path.' },
  FG_ERR_BODY_TOO_LARGE: { statusCode: 413, description: 'The request body is larger than the server accepts.' },
  FG_ERR_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, description: 'The request body has a content type the route does not accept (send `application/json`).' },
  FG_ERR_RATE_LIMITED: { statusCode: 429, description: 'Too many requests for this key (or address, without keys) in the current minute; `Retry-After` says when to retry.' },
  FG_ERR_INTERNAL: { statusCode: 500, description: 'A bug: the request was valid but the server failed. Logged with the request id; never caused by a parameter.' },
  FG_ERR_STORAGE_UNAVAILABLE: { statusCode: 503, description: 'ClickHouse did not answer or failed the query; retry later. `/ready` says more.' },
  FG_ERR_ROLLUP_PENDING: { statusCode: 503, description: 'The range has more local days not yet closed by the daily rollup than the API computes live; retry after the rollup catches up.' },
} as const satisfies Record<string, { statusCode: number; description: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.statusCode = ERRORS[code].statusCode;
  }

  body(): ErrorBody {
    return { statusCode: this.statusCode, code: this.code, error: STATUS_CODES[this.statusCode] ?? 'Error', message: this.message };
  }
}

/** `parameter <name>: <why>`, the form every 400 for a parameter takes. */
export function badParameter(name: string, why: string): ApiError {
  return new ApiError('FG_ERR_BAD_PARAMETER', `parameter ${name}: ${why}`);
}

export function terminalNotFound(id: string): ApiError {
  return new ApiError('FG_ERR_TERMINAL_NOT_FOUND', `terminal ${id} is not registered and has never reported`);
}

/** A user value quoted in a message: JSON-quoted, cut at 64 characters. */
export function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}
