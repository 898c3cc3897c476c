import { Prisma } from './generated/prisma/client.ts';

const hasCode = (error: unknown, code: string): boolean =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

/** The row an update or delete targeted does not exist (P2025). */
export const isRecordNotFound = (error: unknown): boolean => hasCode(error, 'P2025');

/** A unique constraint was violated (P2002). */
export const isUniqueViolation = (error: unknown): boolean => hasCode(error, 'P2002');
