import { Prisma } from '@personal-automations/db';
/** Timestamps go out as ISO-8601 with an explicit +00:00 offset (not `Z`), the form the frontend reads (docs/compatibility.md). */
export const isoOffset = (date: Date): string => `${date.toISOString().slice(0, -1)}+00:00`;
export const isoOffsetOrNull = (date: Date | null): string | null => (date ? isoOffset(date) : null);

/**
 * SQL that writes one column as the text of its JSON value, NULL as `null`, for a raw hot read
 * whose rows PostgreSQL writes as JSON. `column` is a trusted identifier, never input.
 */
export const jsonValueSql = {
  /** A string: to_json escapes it as JSON.stringify would need. */
  text: (column: string) => `coalesce(to_json(${column})::text, 'null')`,
  boolean: (column: string) => `coalesce(${column}::text, 'null')`,
  /** isoOffset's text: milliseconds truncated as a JS Date holds them, UTC, `+00:00`. */
  timestamp: (column: string) =>
    `coalesce('"' || to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"') || '"', 'null')`,
};

/**
 * SQL that writes a row as the text of one JSON object: `fields` maps each key, in the order the
 * contract writes them, to a jsonValueSql expression. String concatenation: PostgreSQL's
 * json_build_object costs several times as much per row.
 */
export function jsonObjectSql(fields: Record<string, string>): Prisma.Sql {
  const parts = Object.entries(fields).map(([key, value], i) => {
    if (!/^[a-z_]+$/.test(key)) throw new Error(`jsonObjectSql: ${JSON.stringify(key)} is not a plain key`);
    return `'${i ? ',' : '{'}"${key}":' || ${value}`;
  });
  return Prisma.raw(`${parts.join(' || ')} || '}'`);
}
