// The service layer's typed errors. Services throw these and know nothing of HTTP; the API maps
// each `code` to a status and a tRPC code once (apps/api/src/errors.ts).

export type ErrorDetails = Record<string, unknown> | null;

/**
 * Every code an AppError can carry: what the API's mapping table covers. INTERNAL_ERROR is no
 * class's code but the 500 envelope's, which the API answers for failures that are not AppErrors.
 */
export const ERROR_CODES = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'VALIDATION_ERROR',
  'AUTHENTICATION_ERROR',
  'AUTHORIZATION_ERROR',
  'RATE_LIMIT_EXCEEDED',
  'BAD_REQUEST',
  'EXTERNAL_SERVICE_ERROR',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(code: ErrorCode, message: string, details: ErrorDetails = null) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    // The envelope's `details` is an object or null, never an empty object (the wire contract).
    this.details = details && Object.keys(details).length ? details : null;
  }
}

/** An AppError subclass with a fixed code and a default message, so a throw names only what differs. */
function errorClass(code: ErrorCode, defaultMessage: string) {
  return class extends AppError {
    constructor(message: string = defaultMessage, details: ErrorDetails = null) {
      super(code, message, details);
    }
  };
}

export class NotFoundError extends errorClass('NOT_FOUND', 'Resource not found') {}
export class AlreadyExistsError extends errorClass('ALREADY_EXISTS', 'Resource already exists') {}
/** A domain rule was broken (not request-shape validation, which the API reports itself). */
export class ValidationError extends errorClass('VALIDATION_ERROR', 'Validation error') {}
export class AuthenticationError extends errorClass('AUTHENTICATION_ERROR', 'Authentication failed') {}
/**
 * No credentials were presented at all: the API answers 401 `{"detail": "Not authenticated"}`, the
 * body the frontend's auth handling reads (docs/compatibility.md).
 */
export class NotAuthenticatedError extends errorClass('AUTHENTICATION_ERROR', 'Not authenticated') {}
export class AuthorizationError extends errorClass('AUTHORIZATION_ERROR', 'Insufficient permissions') {}
export class BadRequestError extends errorClass('BAD_REQUEST', 'Bad request') {}
export class ExternalServiceError extends errorClass('EXTERNAL_SERVICE_ERROR', 'External service error') {}

export class RateLimitError extends AppError {
  /** Seconds until the client may try again. */
  readonly retryAfter: number;
  constructor(message = 'Rate limit exceeded', retryAfter = 60, details: ErrorDetails = null) {
    super('RATE_LIMIT_EXCEEDED', message, details);
    this.retryAfter = retryAfter;
  }
}

/**
 * This process cannot serve the request right now (the database is unreachable, the password
 * hashing queue is full): 503 with Retry-After, never a 500.
 */
export class ServiceUnavailableError extends AppError {
  /** Seconds until the client may try again. */
  readonly retryAfter: number;
  constructor(message = 'Service temporarily unavailable', retryAfter = 5, details: ErrorDetails = null) {
    super('SERVICE_UNAVAILABLE', message, details);
    this.retryAfter = retryAfter;
  }
}
