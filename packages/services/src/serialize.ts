/** Timestamps go out as ISO-8601 with an explicit +00:00 offset, as the original's base schema wrote them. */
export const isoOffset = (date: Date): string => date.toISOString().replace(/Z$/, '+00:00');
export const isoOffsetOrNull = (date: Date | null): string | null => (date ? isoOffset(date) : null);

/** fastapi-pagination's page count: ceil(total / size), 0 for an empty table. */
export const pageCount = (total: number, size: number): number => Math.ceil(total / size);
