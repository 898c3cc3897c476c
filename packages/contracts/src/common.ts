// Shapes shared by every resource: ids, timestamps, the two pagination styles and the error bodies.
import { z } from 'zod';

/** A UUID of any version (only the form is checked: an id nobody holds is a 404, not a 422); normalised to lower case. */
export const Uuid = z
  .guid()
  .overwrite((s) => s.toLowerCase())
  .meta({ format: 'uuid', example: '3fa85f64-5717-4562-b3fc-2c963f66afa6' });

/** An id in a response (validated on the way in by `Uuid`). */
export const UuidString = z.string().meta({ format: 'uuid' });

/** ISO-8601 with an explicit offset, e.g. 2025-01-01T10:00:00.123+00:00. */
export const DateTime = z.string().meta({ format: 'date-time', example: '2025-01-01T10:00:00.123+00:00' });

/** PostgreSQL text cannot hold NUL, so it is refused in the contract (422), not at the database (500). */
const withoutNul = (schema: z.ZodString) =>
  schema.refine((s) => !s.includes('\u0000'), { message: 'Value error, text must not contain NUL (\\u0000) characters' });

/** Free text. */
export const Text = withoutNul(z.string());

/** Strings in user, item and conversation bodies are stripped before their length is checked. */
export const stripped = (max: number) => withoutNul(z.string().trim().max(max));

/** `{<name>: uuid}`: the path parameter of a resource route. */
export const idParam = <K extends string>(name: K) => z.object({ [name]: Uuid } as { [P in K]: typeof Uuid });

// ---- page style (`page`, `size`, `pages`: how clients of the original page): GET /items, GET /users
export const PageQuery = z.object({
  page: z.number().int().gte(1).default(1).meta({ description: 'Page number, from 1' }),
  size: z.number().int().gte(1).lte(100).default(50).meta({ description: 'Page size, 1..100' }),
});
export type PageQuery = z.infer<typeof PageQuery>;

export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      total: z.number().int().gte(0),
      page: z.number().int().gte(1),
      size: z.number().int().gte(1),
      pages: z.number().int().gte(0),
    })
    .meta({ id });

export type Page<T> = { items: T[]; total: number; page: number; size: number; pages: number };

// ---- skip/limit style: conversations, messages, webhooks, deliveries
export const skipLimitQuery = (defaultLimit: number, maxLimit: number) =>
  z.object({
    skip: z.number().int().gte(0).default(0),
    limit: z.number().int().gte(1).lte(maxLimit).default(defaultLimit),
  });

export const listOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ items: z.array(item), total: z.number().int().gte(0) }).meta({ id });

// ---- error bodies
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'NOT_FOUND' }),
      message: z.string().meta({ example: 'Item not found' }),
      details: z.record(z.string(), z.unknown()).nullable(),
    }),
  })
  .meta({ id: 'ErrorEnvelope', description: 'A domain error' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export const ValidationErrorItem = z
  .object({
    type: z.string(),
    loc: z.array(z.union([z.string(), z.number().int()])),
    msg: z.string(),
    input: z.unknown(),
    ctx: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ValidationError' });
export type ValidationErrorItem = z.infer<typeof ValidationErrorItem>;

export const HTTPValidationError = z
  .object({ detail: z.array(ValidationErrorItem) })
  .meta({ id: 'HTTPValidationError', description: 'Request validation failed (FastAPI shape)' });

/** Framework-level errors: unknown route, wrong method, missing credentials. */
export const HTTPError = z.object({ detail: z.string() }).meta({ id: 'HTTPError' });
