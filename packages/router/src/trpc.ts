import { getTRPCErrorFromUnknown, initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { ZodType } from 'zod';
import { countCall } from '@personal-automations/observability';
import { AuthorizationError, NotAuthenticatedError, type Services } from '@personal-automations/services';
import type { Context } from './context.ts';
import { bearerToken } from './credentials.ts';
import { appErrorOf, toTrpcError } from './errors.ts';

/** Who may call a procedure: anyone, a logged-in user, or an admin. */
export type Access = 'public' | 'user' | 'admin';

/**
 * Which rate-limit budget a call draws on: the shared per-client one ('default'), the tighter
 * per-IP one for credential endpoints ('auth'), or none ('none').
 */
export type RateLimitPolicy = 'default' | 'auth' | 'none';

/**
 * trpc-to-openapi's meta plus what the REST surface, the OpenAPI document and the rate limiter
 * read: `access` and `rateLimit`, set only by the named base procedures below (so each is
 * declared once, where its guard is); the REST success status (201 on create, 204 on delete, a
 * redirect with no body for the OAuth steps); other statuses that carry the success body
 * (readiness answers 503 with it); and `noStore` for a procedure whose response carries a token
 * or a secret (contract 7.1: `Cache-Control: no-store`, on both transports).
 */
export type Meta = OpenApiMeta & {
  access?: Access;
  rateLimit?: RateLimitPolicy;
  successStatus?: 200 | 201 | 204 | 302 | 307;
  alsoReturns?: number[];
  noStore?: true;
  stream?: StreamMeta;
} & RestDocMeta;

/**
 * A subscription's REST form: `POST <path>` (relative to API_V1_STR) with the input as its JSON
 * body, answered as server-sent events, and documented as such.
 */
export type StreamMeta = {
  method: 'POST';
  path: `/${string}`;
  summary: string;
  description?: string;
  tags: string[];
  /** The zod schema of one event (what the subscription yields). */
  events: ZodType;
};

/** The meta of a built procedure: the base procedure always set `access` and `rateLimit`. */
export type DeclaredMeta = Meta & Required<Pick<Meta, 'access' | 'rateLimit'>>;

/**
 * Domain errors a procedure can end with that the OpenAPI document cannot infer (authentication,
 * the admin role, path parameters, bodies and rate limiting are inferred): 401 on a credentials
 * check, 409 on a conflict, ...
 */
export type RestDocMeta = { errorStatuses?: (400 | 401 | 403 | 404 | 409 | 422 | 503)[] };

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // A procedure built from `t.procedure` directly is public and counted, as publicProcedure is.
    defaultMeta: { access: 'public', rateLimit: 'default' },
    // A subscription's stream (agent.run over SSE) may be silent while the model thinks or a tool
    // runs: a ping every 15 s keeps proxies from closing it as idle.
    sse: { ping: { enabled: true, intervalMs: 15_000 } },
    errorFormatter({ shape, error }) {
      // Never send a stack trace, whatever NODE_ENV says.
      const { stack: _stack, ...data } = shape.data;
      const appError = appErrorOf(error);
      if (appError) return { ...shape, data: { ...data, appCode: appError.code, details: appError.details } };
      // An unexpected failure's own message may name internals (hosts, SQL): replace it.
      if (error.code === 'INTERNAL_SERVER_ERROR') return { ...shape, message: 'An unexpected error occurred', data };
      return { ...shape, data };
    },
  });

/**
 * The headers a response needs for the procedures it answers: a token or a secret (`meta.noStore`)
 * must not stay in a browser's or a proxy's cache. REST gets them through the context (below);
 * the tRPC plugin asks before the calls run, since a streamed batch sends its headers first.
 */
export const cacheHeadersFor = (metas: readonly (Meta | undefined)[]): Record<string, string> =>
  metas.some((meta) => meta?.noStore) ? { 'cache-control': 'no-store' } : {};

/**
 * A procedure's failure as the TRPCError to answer with: its domain error with the matching code,
 * an unreachable database as SERVICE_UNAVAILABLE (logged once per outage, not per call), else
 * itself.
 */
function failureOf(error: unknown, ctx: Context): TRPCError {
  const cause = error instanceof TRPCError ? error.cause : error;
  const appError = appErrorOf(error) ?? ctx.services.databaseOutage.unavailable(cause, ctx.log);
  return appError ? toTrpcError(appError) : getTRPCErrorFromUnknown(error);
}

type CallResult = { ok: true } | { ok: false; error: TRPCError };

/**
 * A call's end: counted by procedure, type and result (`ok` or the answer's code); a failure
 * that failureOf maps is thrown as mapped, any other goes on as it is.
 */
function settled<R extends CallResult>(result: R, ctx: Context, procedure: string, type: string): R {
  if (result.ok) {
    countCall(procedure, type, 'ok');
    return result;
  }
  const failure = failureOf(result.error, ctx);
  countCall(procedure, type, failure.code);
  if (failure !== result.error) throw failure;
  return result;
}

/** Request loggers that already name their user (the calls of a tRPC batch share one). */
const namedLoggers = new WeakSet<object>();

/** Every later line of the request names its user, by id (never an email). */
function logAs(log: Context['log'], userId: string): void {
  if (!log.setBindings || namedLoggers.has(log)) return;
  namedLoggers.add(log);
  log.setBindings({ userId });
}

/** The cache headers a procedure's meta asks for, on its response. */
const applyCacheHeaders = (meta: Meta | undefined, ctx: Context) => {
  if (meta?.noStore) Object.assign(ctx.response.headers, cacheHeadersFor([meta]));
};

/**
 * What every public procedure runs first, in one middleware (each level of middleware costs tRPC
 * copies of the call's options): the cache headers its meta asks for, then the call's end as
 * settled answers and counts it.
 */
const baseMiddleware = t.middleware(async ({ meta, ctx, path, type, next }) => {
  applyCacheHeaders(meta, ctx);
  return settled(await next(), ctx, path, type);
});

/**
 * The same for a logged-in caller, with the login check in the same middleware (one level less
 * on every authenticated call): `Authorization: Bearer <access token>` whose session is still
 * active and whose user is active. Runs before input validation, so no credentials + bad body is
 * 401, not 422.
 */
const authedMiddleware = t.middleware(async ({ meta, ctx, path, type, next }) => {
  applyCacheHeaders(meta, ctx);
  let login: Awaited<ReturnType<Services['sessions']['authenticate']>>;
  try {
    const token = bearerToken(ctx.headers.authorization);
    if (!token) throw new NotAuthenticatedError();
    login = await ctx.services.sessions.authenticate(token, ctx.accessClaims);
  } catch (error) {
    const failure = failureOf(error, ctx);
    countCall(path, type, failure.code);
    throw failure;
  }
  logAs(ctx.log, login.user.id);
  return settled(await next({ ctx: { ...ctx, user: login.user, sessionId: login.sessionId } }), ctx, path, type);
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const baseProcedure = t.procedure.use(baseMiddleware);

// The named base procedures: each declares its access and budget in its meta, next to the guard
// that enforces them, and every reader (REST, the OpenAPI document, the rate limiter) takes them
// from the meta. A router adds only its own meta (`openapi`, statuses).

/** Anyone; each call draws on the caller's default budget. */
export const publicProcedure = baseProcedure.meta({ access: 'public', rateLimit: 'default' });

/** Anyone, on the tighter per-IP budget: the procedures that check or create credentials. */
export const credentialsProcedure = baseProcedure.meta({ access: 'public', rateLimit: 'auth' });

/** Anyone, never counted: health and readiness probes, which load balancers call all the time. */
export const probeProcedure = baseProcedure.meta({ access: 'public', rateLimit: 'none' });

/** A logged-in caller (authedMiddleware). */
export const authedProcedure = t.procedure.use(authedMiddleware).meta({ access: 'user', rateLimit: 'default' });

/** A logged-in caller whose role is "admin"; `is_superuser` plays no part (the contract's rule). */
export const adminProcedure = authedProcedure.meta({ access: 'admin' }).use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new AuthorizationError("Role 'admin' required for this action");
  return next();
});
