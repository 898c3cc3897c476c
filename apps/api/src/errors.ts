// The one place where the service layer's typed errors become HTTP statuses, REST bodies and
// tRPC error codes.
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, NotAuthenticatedError, RateLimitError, ServiceUnavailableError, type DatabaseOutage, type ErrorCode } from '@personal-automations/services';

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
  DATABASE_ERROR: 500,
  INTERNAL_ERROR: 500,
};

const TRPC_CODE_BY_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'CONFLICT',
  VALIDATION_ERROR: 'UNPROCESSABLE_CONTENT',
  AUTHENTICATION_ERROR: 'UNAUTHORIZED',
  AUTHORIZATION_ERROR: 'FORBIDDEN',
  RATE_LIMIT_EXCEEDED: 'TOO_MANY_REQUESTS',
  BAD_REQUEST: 'BAD_REQUEST',
  EXTERNAL_SERVICE_ERROR: 'SERVICE_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  DATABASE_ERROR: 'INTERNAL_SERVER_ERROR',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
};

/** The AppError behind an error, whether thrown directly or wrapped by tRPC. */
export function appErrorOf(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof TRPCError && error.cause instanceof AppError) return error.cause;
  return undefined;
}

export function toTrpcError(error: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE_BY_CODE[error.code], message: error.message, cause: error });
}

export type HttpError = { status: number; headers: Record<string, string>; body: unknown };

/** The contract's envelope for a domain error, with WWW-Authenticate on 401 and Retry-After on 429. */
export function appErrorToHttp(error: AppError): HttpError {
  // FastAPI's own answer when no bearer token is sent at all.
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

/**
 * An error nothing else answered: the 503 envelope when the database is unreachable (the outage
 * is logged once by the monitor), else the 500 envelope, logged here with the request.
 */
export function unhandledToHttp(error: unknown, outage: DatabaseOutage, log: FastifyBaseLogger): HttpError {
  const unavailable = outage.unavailable(error, log);
  if (unavailable) return appErrorToHttp(unavailable);
  log.error({ err: error }, 'unhandled error');
  return INTERNAL_ERROR;
}

/** FastAPI's framework-level errors use `{"detail": "..."}`. */
export const detailError = (status: number, detail: string, headers: Record<string, string> = {}): HttpError => ({
  status,
  headers,
  body: { detail },
});
