// The service layer's typed errors (the original's app.core.exceptions). Services throw these and
// know nothing of HTTP; the API maps each `code` to a status once (apps/api/src/errors.ts).

export type ErrorDetails = Record<string, unknown> | null;

export const ERROR_CODES = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'VALIDATION_ERROR',
  'AUTHENTICATION_ERROR',
  'AUTHORIZATION_ERROR',
  'RATE_LIMIT_EXCEEDED',
  'BAD_REQUEST',
  'EXTERNAL_SERVICE_ERROR',
  'DATABASE_ERROR',
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
    // An empty details object is sent as null, as the original did.
    this.details = details && Object.keys(details).length ? details : null;
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Resource not found', details: ErrorDetails = null) {
    super('NOT_FOUND', message, details);
  }
}
export class AlreadyExistsError extends AppError {
  constructor(message = 'Resource already exists', details: ErrorDetails = null) {
    super('ALREADY_EXISTS', message, details);
  }
}
/** A domain rule was broken (not request-shape validation, which the API reports itself). */
export class ValidationError extends AppError {
  constructor(message = 'Validation error', details: ErrorDetails = null) {
    super('VALIDATION_ERROR', message, details);
  }
}
export class AuthenticationError extends AppError {
  constructor(message = 'Authentication failed', details: ErrorDetails = null) {
    super('AUTHENTICATION_ERROR', message, details);
  }
}
/** No credentials were presented at all (the API answers FastAPI's `{"detail": "Not authenticated"}`). */
export class NotAuthenticatedError extends AppError {
  constructor(message = 'Not authenticated') {
    super('AUTHENTICATION_ERROR', message, null);
  }
}
export class AuthorizationError extends AppError {
  constructor(message = 'Insufficient permissions', details: ErrorDetails = null) {
    super('AUTHORIZATION_ERROR', message, details);
  }
}
export class RateLimitError extends AppError {
  /** Seconds until the client may try again. */
  readonly retryAfter: number;
  constructor(message = 'Rate limit exceeded', retryAfter = 60, details: ErrorDetails = null) {
    super('RATE_LIMIT_EXCEEDED', message, details);
    this.retryAfter = retryAfter;
  }
}
export class BadRequestError extends AppError {
  constructor(message = 'Bad request', details: ErrorDetails = null) {
    super('BAD_REQUEST', message, details);
  }
}
export class ExternalServiceError extends AppError {
  constructor(message = 'External service error', details: ErrorDetails = null) {
    super('EXTERNAL_SERVICE_ERROR', message, details);
  }
}
export class DatabaseError extends AppError {
  constructor(message = 'Database error', details: ErrorDetails = null) {
    super('DATABASE_ERROR', message, details);
  }
}
export class InternalError extends AppError {
  constructor(message = 'An unexpected error occurred', details: ErrorDetails = null) {
    super('INTERNAL_ERROR', message, details);
  }
}
