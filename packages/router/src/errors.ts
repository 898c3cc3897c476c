// How the service layer's typed errors leave a procedure: as TRPCErrors with the matching tRPC
// code (the AppError kept as the cause, so the HTTP surface can build its envelope from it).
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { AppError, type ErrorCode } from '@personal-automations/services';

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
