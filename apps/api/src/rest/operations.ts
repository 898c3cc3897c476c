// The REST operation table, read from the routers' OpenAPI meta. It drives the Fastify routes,
// the 404/405/307 answers and the OpenAPI document, so the two surfaces cannot drift.
import type { AnyRouter } from '@trpc/server';
import { forEachOpenApiProcedure, getInputOutputParsers, normalizePath } from 'trpc-to-openapi';
import { rateLimitPolicyOf } from '../plugins/rate-limit.ts';
import type { Meta, RateLimitPolicy } from '../trpc/trpc.ts';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'unknown';

export type RestOperation = {
  /** Dotted procedure path, e.g. `items.get`. */
  procedurePath: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/items/{item_id}`, relative to API_V1_STR. */
  openApiPath: string;
  /** `/items/:item_id` */
  fastifyPath: string;
  pathRegExp: RegExp;
  pathParams: string[];
  /** Reads its input from the query string (GET and DELETE), not from a body. */
  bodyless: boolean;
  /** Takes an HTML-form body (login) rather than JSON. */
  formOnly: boolean;
  successStatus: number;
  /** Other statuses that carry the success body (readiness: 503). */
  alsoReturns: number[];
  /** Top-level input fields and their kinds, for query coercion and error messages. */
  fields: Record<string, FieldKind>;
  /** false when the procedure's input is z.void(). */
  hasInput: boolean;
  /** The budget its calls draw on (the procedure's meta, none for health probes). */
  rateLimit: RateLimitPolicy;
};

type ZodLike = { _zod: { def: { type: string; innerType?: ZodLike; checks?: ZodLike[]; format?: string; shape?: Record<string, ZodLike> } } };

/** Strips optional/default/nullable wrappers. */
export function unwrap(schema: ZodLike | undefined): ZodLike | undefined {
  let s = schema;
  while (s && ['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'].includes(s._zod.def.type)) s = s._zod.def.innerType;
  return s;
}

const INT_FORMATS = ['safeint', 'int32', 'uint32', 'int64', 'uint64'];

export function fieldKind(schema: ZodLike | undefined): FieldKind {
  const s = unwrap(schema);
  const def = s?._zod.def;
  if (!def) return 'unknown';
  if (def.type === 'number') {
    const isInt = INT_FORMATS.includes(def.format ?? '') || def.checks?.some((c) => INT_FORMATS.includes(c._zod.def.format ?? ''));
    return isInt ? 'integer' : 'number';
  }
  if (def.type === 'string' || def.type === 'boolean' || def.type === 'array' || def.type === 'object') return def.type;
  return 'unknown';
}

const ANY_SEGMENT = '[^/]+';

export function buildOperations(router: AnyRouter): RestOperation[] {
  const operations: RestOperation[] = [];
  forEachOpenApiProcedure(router._def.procedures as never, ({ path, procedure, meta }) => {
    const { openapi, successStatus, alsoReturns } = meta as Meta & { openapi: NonNullable<Meta['openapi']> };
    const openApiPath = normalizePath(openapi.path);
    const { inputParser } = getInputOutputParsers(procedure as never);
    const input = unwrap(inputParser as unknown as ZodLike);
    const shape = input?._zod.def.type === 'object' ? (input._zod.def.shape ?? {}) : {};
    const pathParams = [...openApiPath.matchAll(/\{(.+?)\}/g)].map((m) => m[1]!);
    const method = openapi.method as RestOperation['method'];
    operations.push({
      procedurePath: path,
      method,
      openApiPath,
      fastifyPath: openApiPath.replace(/\{(.+?)\}/g, ':$1'),
      pathRegExp: new RegExp(`^${openApiPath.replace(/\{.+?\}/g, ANY_SEGMENT)}$`),
      pathParams,
      bodyless: method === 'GET' || method === 'DELETE',
      formOnly: !!openapi.contentTypes && !openapi.contentTypes.includes('application/json'),
      successStatus: successStatus ?? 200,
      alsoReturns: alsoReturns ?? [],
      fields: Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, fieldKind(v)])),
      hasInput: input?._zod.def.type !== 'void' && input !== undefined,
      rateLimit: rateLimitPolicyOf(meta as Meta),
    });
  });
  return operations;
}

/** Methods that some operation serves at this API-relative path (for 405 + Allow). */
export const allowedMethods = (operations: RestOperation[], path: string): string[] =>
  [...new Set(operations.filter((op) => op.pathRegExp.test(path)).map((op) => op.method))];
