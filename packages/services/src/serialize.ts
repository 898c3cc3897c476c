/** Timestamps go out as ISO-8601 with an explicit +00:00 offset (not `Z`), the form the frontend reads (docs/compatibility.md). */
export const isoOffset = (date: Date): string => `${date.toISOString().slice(0, -1)}+00:00`;
export const isoOffsetOrNull = (date: Date | null): string | null => (date ? isoOffset(date) : null);
