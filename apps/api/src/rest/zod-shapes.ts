// What the REST surface needs to know about a procedure's zod input, read through zod's public
// schema API (`type`, `unwrap()`, `shape`, `isInt`): which top-level fields there are and what
// kind each is, so query strings can be coerced and error messages worded. The only module that
// looks inside schemas; test/zod-shapes.test.ts pins what it reads.

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'unknown';

/** The part of a zod schema read here. */
type Schema = { type: string; unwrap?: () => Schema; shape?: Record<string, Schema>; isInt?: boolean };

/** Wrappers that change presence or defaults, not the value's kind. */
const WRAPPERS = new Set(['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch']);

const isSchema = (value: unknown): value is Schema => typeof (value as Schema | undefined)?.type === 'string';

/** The schema under optional/default/nullable/... wrappers. */
export function unwrapSchema(schema: unknown): Schema | undefined {
  let current = isSchema(schema) ? schema : undefined;
  while (current && WRAPPERS.has(current.type) && current.unwrap) current = current.unwrap();
  return current;
}

export function fieldKind(schema: unknown): FieldKind {
  const s = unwrapSchema(schema);
  if (!s) return 'unknown';
  if (s.type === 'number') return s.isInt ? 'integer' : 'number';
  if (s.type === 'string' || s.type === 'boolean' || s.type === 'array' || s.type === 'object') return s.type;
  return 'unknown';
}

/** An input's top-level fields and their kinds (none unless it is an object). */
export function fieldsOf(input: unknown): Record<string, FieldKind> {
  const s = unwrapSchema(input);
  if (s?.type !== 'object' || !s.shape) return {};
  return Object.fromEntries(Object.entries(s.shape).map(([name, field]) => [name, fieldKind(field)]));
}

/** Whether a procedure takes input at all (`z.void()` and no `.input()` take none). */
export const takesInput = (input: unknown): boolean => {
  const s = unwrapSchema(input);
  return s !== undefined && s.type !== 'void';
};
