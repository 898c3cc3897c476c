import { Prisma } from './generated/prisma/client.ts';

const hasCode = (error: unknown, code: string): boolean => error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

/** The row an update or delete targeted does not exist (P2025). */
export const isRecordNotFound = (error: unknown): boolean => hasCode(error, 'P2025');

/** A unique constraint was violated (P2002). */
export const isUniqueViolation = (error: unknown): boolean => hasCode(error, 'P2002');

/** A foreign key names a row that does not exist (P2003), e.g. a webhook deleted while one of its deliveries was being written. */
export const isForeignKeyViolation = (error: unknown): boolean => hasCode(error, 'P2003');

// What the pg driver adapter reports when the server cannot be used at all, as opposed to a
// statement failing: the kinds it names, and PostgreSQL's connection-exception SQLSTATEs
// (class 08; 57P01-57P03: shut down, crashed, starting up; 53300: too many connections).
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
// Prisma's own codes for the same: cannot reach, timed out, server closed the connection, no pooled connection in time.
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// A pooled connection that dies mid-query reaches Prisma as pg's plain Error, with no code:
// its socket's errno, or pg-pool's own wording, is all there is to go by.
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_PG_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

type Cause = { kind?: unknown; originalCode?: unknown; code?: unknown; message?: unknown; cause?: unknown };

/** The error, its causes and the driver adapter's cause, outermost first. */
function causes(error: unknown): Cause[] {
  const chain: Cause[] = [];
  for (let current = error; current && typeof current === 'object' && chain.length < 8; ) {
    const cause = current as Cause & { meta?: { driverAdapterError?: { cause?: unknown } } };
    chain.push(cause);
    current = cause.meta?.driverAdapterError?.cause ?? cause.cause;
  }
  return chain;
}

function namesAnOutage(cause: Cause): boolean {
  if (cause instanceof Prisma.PrismaClientInitializationError) return true;
  if (cause instanceof Prisma.PrismaClientKnownRequestError && UNAVAILABLE_PRISMA_CODES.has(cause.code)) return true;
  if (typeof cause.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
  if (typeof cause.originalCode === 'string' && UNAVAILABLE_SQLSTATE.test(cause.originalCode)) return true;
  if (typeof cause.code === 'string' && UNAVAILABLE_ERRNO.has(cause.code)) return true;
  return typeof cause.message === 'string' && UNAVAILABLE_PG_MESSAGE.test(cause.message);
}

/**
 * The database server is down, unreachable or refusing connections (an outage, answered 503),
 * rather than a query having failed (a bug, answered 500).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some(namesAnOutage);
}
