// Builds a procedure's input from a Fastify request: path parameters from the path, query
// parameters (coerced from strings to the field's type) for GET/DELETE, the JSON or form body
// otherwise. The REST surface reads its input as clients of the original send it
// (docs/compatibility.md).
import type { FastifyRequest } from 'fastify';
import type { FieldKind, RestOperation } from './operations.ts';

const TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);
const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
/** An integer field takes digits only: "1e3" and "1.0" stay strings and get the 422 `int_parsing` item. */
const INTEGER = /^\s*[+-]?\d+\s*$/;

/** A query string value as the field's kind wants it; left as a string when it does not parse (→ 422). */
function coerce(kind: FieldKind | undefined, value: string): unknown {
  const numeric = kind === 'integer' ? INTEGER : kind === 'number' ? NUMERIC : undefined;
  if (numeric?.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (kind === 'boolean') {
    const lower = value.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
  }
  return value;
}

export type RestInput = {
  /** What the procedure is called with. */
  input: unknown;
  /** The values as received, for error messages. */
  raw: unknown;
};

export function queryInput(op: RestOperation, query: Record<string, unknown>, params: Record<string, string>): RestInput {
  const raw: Record<string, unknown> = {};
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    // A repeated parameter that is not a list: the last value counts (`?size=10&size=20` is 20),
    // the answer clients of the original get.
    const single = Array.isArray(value) && op.fields[key] !== 'array' ? value.at(-1) : value;
    raw[key] = single;
    input[key] = typeof single === 'string' ? coerce(op.fields[key], single) : single;
  }
  Object.assign(raw, params);
  Object.assign(input, params);
  return { input: op.hasInput ? input : undefined, raw };
}

export const isJsonContentType = (contentType: string | undefined): boolean =>
  !!contentType && /^application\/([\w.+-]+\+)?json\b/i.test(contentType);

export const isFormContentType = (contentType: string | undefined): boolean =>
  !!contentType && /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType);

export function bodyInput(op: RestOperation, request: FastifyRequest, params: Record<string, string>): RestInput {
  const contentType = request.headers['content-type'];
  let body: unknown = request.body;
  if (op.formOnly) {
    // A form operation reads only form fields; anything else is an empty form.
    if (!isFormContentType(contentType)) body = {};
  } else if (body !== undefined && !isJsonContentType(contentType)) {
    // Sent, but not as JSON: validated as the text it is, so the answer is the usual 422 (the body
    // is not an object), not a 415.
    body = typeof body === 'string' ? body : new URLSearchParams(body as Record<string, string>).toString();
  }
  if (body === undefined || body === null) body = op.pathParams.length || op.hasInput ? {} : undefined;
  const input = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body, ...params } : body;
  return { input: op.hasInput ? input : undefined, raw: input };
}
