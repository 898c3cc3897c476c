// The REST operation table, read from the procedures' OpenAPI meta. It drives the Fastify routes,
// the 404/405/307 answers and the OpenAPI document, so the two surfaces cannot drift.
import type { AnyRouter } from '@trpc/server';
import {
  type Access,
  type DeclaredMeta,
  type ProcedureEntry,
  type ProcedureType,
  procedureTable,
  type RateLimitPolicy,
} from '@personal-automations/router';
import { type FieldKind, fieldsOf, takesInput } from './zod-shapes.ts';

export type { FieldKind } from './zod-shapes.ts';

export type RestOperation = {
  /** Dotted procedure path, e.g. `items.get`. */
  procedurePath: string;
  procedureType: ProcedureType;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/items/{item_id}`, relative to API_V1_STR. */
  openApiPath: string;
  /** `/items/:item_id` */
  fastifyPath: string;
  pathRegExp: RegExp;
  pathParams: string[];
  /** Reads its input from the query string (GET and DELETE), not from a body. */
  bodyless: boolean;
  /** Answers with server-sent events: a subscription's REST form. */
  streamed: boolean;
  /** Takes an HTML-form body (login) rather than JSON. */
  formOnly: boolean;
  successStatus: number;
  /** Other statuses that carry the success body (readiness: 503). */
  alsoReturns: number[];
  /** Top-level input fields and their kinds, for query coercion and error messages. */
  fields: Record<string, FieldKind>;
  /** The procedure's input schema (zod). */
  input: unknown;
  /** false when the procedure's input is z.void(). */
  hasInput: boolean;
  /** Who may call it and the budget its calls draw on, as its base procedure declared them. */
  access: Access;
  rateLimit: RateLimitPolicy;
  meta: DeclaredMeta;
};

const ANY_SEGMENT = '[^/]+';

/** `/a/b` from `a/b/` etc.: the rule trpc-to-openapi applies to the document's paths, so routes and document agree (route-table.test.ts). */
const normalizePath = (path: string): string => `/${path.replace(/^\/|\/$/g, '')}`;

function toOperation(entry: ProcedureEntry): RestOperation | undefined {
  const { successStatus, alsoReturns, access, rateLimit } = entry.meta;
  // A subscription's REST form is its `stream` meta (trpc-to-openapi has no subscriptions).
  const openapi = entry.type === 'subscription' ? entry.meta.stream : entry.meta.openapi;
  if (!openapi) return undefined;
  const openApiPath = normalizePath(openapi.path);
  const method = openapi.method as RestOperation['method'];
  return {
    procedurePath: entry.path,
    procedureType: entry.type,
    method,
    openApiPath,
    fastifyPath: openApiPath.replace(/\{(.+?)\}/g, ':$1'),
    pathRegExp: new RegExp(`^${openApiPath.replace(/\{.+?\}/g, ANY_SEGMENT)}$`),
    pathParams: [...openApiPath.matchAll(/\{(.+?)\}/g)].map((m) => m[1]!),
    bodyless: method === 'GET' || method === 'DELETE',
    streamed: entry.type === 'subscription',
    formOnly: 'contentTypes' in openapi && !!openapi.contentTypes && !openapi.contentTypes.includes('application/json'),
    successStatus: successStatus ?? 200,
    alsoReturns: alsoReturns ?? [],
    fields: fieldsOf(entry.input),
    input: entry.input,
    hasInput: takesInput(entry.input),
    access,
    rateLimit,
    meta: entry.meta,
  };
}

/** One operation per procedure that has OpenAPI meta, and per subscription that has `stream` meta. */
export function buildOperations(router: AnyRouter): RestOperation[] {
  return [...procedureTable(router).values()].flatMap((entry) => toOperation(entry) ?? []);
}

/** Methods that some operation serves at this API-relative path (for 405 + Allow). */
export const allowedMethods = (operations: RestOperation[], path: string): string[] => [
  ...new Set(operations.filter((op) => op.pathRegExp.test(path)).map((op) => op.method)),
];
