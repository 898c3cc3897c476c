// Every error answer of the HTTP surface is built here, and only here: the mapping table from the
// service layer's typed errors to HTTP statuses, REST bodies and tRPC codes; the envelopes of
// domain errors (429 and 503 with Retry-After); request validation (422 `detail` lists);
// Fastify's own request errors; unknown routes (404, 405 + Allow, 307); outages (503); and the
// 500 of anything unexpected. plugins/errors.ts installs the one error handler and the one
// not-found handler that use it.
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyBaseLogger, FastifyError, FastifyReply } from 'fastify';
import { appErrorOf } from '@personal-automations/router';
import {
  type AppError,
  type DatabaseOutage,
  type ErrorCode,
  NotAuthenticatedError,
  RateLimitError,
  ServiceUnavailableError,
} from '@personal-automations/services';
import { allowedMethods, type RestOperation } from './rest/operations.ts';
import { boundedInput, inputIssuesOf, issueToValidationError } from './rest/validation.ts';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  VALIDATION_ERROR: 422,
  AUTHENTICATION_ERROR: 401,
  AUTHORIZATION_ERROR: 403,
  RATE_LIMIT_EXCEEDED: 429,
  BAD_REQUEST: 400,
  EXTERNAL_SERVICE_ERROR: 503,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/** An answer to send: status, headers and a JSON body (none for redirects). */
export type HttpError = { status: number; headers: Record<string, string>; body?: unknown };

/** The framework-level shape, `{"detail": "..."}` (missing credentials, unknown routes, bodies). */
export const detailError = (status: number, detail: string, headers: Record<string, string> = {}): HttpError => ({
  status,
  headers,
  body: { detail },
});

/** The contract's envelope for a domain error, with WWW-Authenticate on 401 and Retry-After on 429 and 503. */
export function appErrorToHttp(error: AppError): HttpError {
  // No bearer token at all is the framework-level answer, not a domain error.
  if (error instanceof NotAuthenticatedError) return detailError(401, error.message, { 'www-authenticate': 'Bearer' });
  const status = STATUS_BY_CODE[error.code];
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  if (error instanceof RateLimitError || error instanceof ServiceUnavailableError) headers['retry-after'] = String(error.retryAfter);
  return { status, headers, body: { error: { code: error.code, message: error.message, details: error.details } } };
}

export const INTERNAL_ERROR: HttpError = {
  status: 500,
  headers: {},
  body: { error: { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred', details: null } },
};

/** A REST call's input that failed its contract: the 422 `detail` list, one item per issue. */
function validationError(error: unknown, call: RestCall): HttpError | undefined {
  const issues = inputIssuesOf(error);
  if (!issues) return undefined;
  const input = boundedInput(call.raw);
  return {
    status: 422,
    headers: {},
    body: { detail: issues.map((issue) => issueToValidationError(issue, input, call.op, call.op.bodyless)) },
  };
}

const jsonInvalid = (message: string): HttpError => ({
  status: 422,
  headers: {},
  body: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: message } }] },
});

/** A path Fastify could not route: undecodable percent-encoding, or a parameter over the length limit. */
export function badPathError(error: FastifyError): HttpError {
  const msg = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the path is not valid percent-encoding';
  return { status: 422, headers: {}, body: { detail: [{ type: 'value_error', loc: ['path'], msg: `Value error, ${msg}`, input: null }] } };
}

/** Fastify's own request errors (routing, body parsing, size) in the framework shapes; undefined for any other error. */
export function frameworkError(error: FastifyError): HttpError | undefined {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return badPathError(error);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return jsonInvalid(error.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return detailError(413, 'Request Entity Too Large');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return detailError(400, 'Invalid Content-Length');
  }
  if (error instanceof SyntaxError) return jsonInvalid(error.message);
  // The form parser's own failures (no boundary, truncated body): an unreadable form.
  if (error.code?.startsWith('FST_INVALID_MULTIPART') || /^(Multipart|Unexpected end of)/.test(error.message))
    return detailError(400, 'There was an error parsing the body');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return detailError(error.statusCode, error.message);
  return undefined;
}

/** The REST operation a request is calling and its input as received (for 422 messages). */
export type RestCall = { op: RestOperation; raw: unknown };

/**
 * Any error, as the answer to send: a REST call's invalid input (422), a domain error (its
 * envelope), Fastify's request errors, an unreachable database (503, logged once per outage by
 * the monitor), else the 500 envelope, logged here with the request.
 */
export function httpErrorOf(error: unknown, call: RestCall | undefined, outage: DatabaseOutage, log: FastifyBaseLogger): HttpError {
  const validation = call && validationError(error, call);
  if (validation) return validation;
  const appError = appErrorOf(error);
  if (appError) return appErrorToHttp(appError);
  const framework = error instanceof Error ? frameworkError(error as FastifyError) : undefined;
  if (framework) return framework;
  const unavailable = outage.unavailable(error, log);
  if (unavailable) return appErrorToHttp(unavailable);
  log.error({ err: error }, 'unhandled error');
  return INTERNAL_ERROR;
}

/**
 * A URL no route serves. Under the REST prefix: a known path with another method is 405 with
 * Allow, and a collection path with a trailing slash is 307 to the path without it (so a client
 * that adds the slash still arrives); anything else is 404.
 */
export function notFoundAnswer(url: string, restPrefix: string, operations: RestOperation[]): HttpError {
  const [pathname = '', query] = url.split('?', 2);
  if (!pathname.startsWith(`${restPrefix}/`) && pathname !== restPrefix) return detailError(404, 'Not Found');
  const relative = pathname.slice(restPrefix.length) || '/';
  if (relative.length > 1 && relative.endsWith('/') && allowedMethods(operations, relative.slice(0, -1)).length) {
    return { status: 307, headers: { location: pathname.slice(0, -1) + (query !== undefined ? `?${query}` : '') } };
  }
  const allowed = allowedMethods(operations, relative);
  if (allowed.length) return detailError(405, 'Method Not Allowed', { allow: allowed.join(', ') });
  return detailError(404, 'Not Found');
}

/** A request tRPC never gets to answer itself, in tRPC's error format (a body it cannot read: 415). */
export function trpcRequestError(code: 'UNSUPPORTED_MEDIA_TYPE', message: string): HttpError {
  return { status: 415, headers: {}, body: { error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: 415 } } } };
}

/** Plain `application/json`: the wire format has no charset parameter (Fastify's reply.type() would add one). */
export const JSON_TYPE = 'application/json';

export function sendHttpError(reply: FastifyReply, error: HttpError) {
  reply.code(error.status).headers(error.headers);
  if (error.body === undefined) return reply.send();
  return reply.header('content-type', JSON_TYPE).send(JSON.stringify(error.body));
}
