import { Prisma } from '@personal-automations/db';
/** Timestamps go out as ISO-8601 with an explicit +00:00 offset (not `Z`), the form the frontend reads (docs/compatibility.md). */
export const isoOffset = (date: Date): string => `${date.toISOString().slice(0, -1)}+00:00`;
/**
 * The same text written by PostgreSQL, for a raw hot read: milliseconds truncated as a JS Date
 * holds them, UTC, `+00:00`. NULL stays NULL. `column` is a trusted identifier, never input.
 */
export const ISO_OFFSET_SQL = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')`);
export const isoOffsetOrNull = (date: Date | null): string | null => (date ? isoOffset(date) : null);
