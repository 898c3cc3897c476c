import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { AuthorizationError, NotAuthenticatedError } from '@personal-automations/services';
import { bearerToken } from '../credentials.ts';
import { appErrorOf, toTrpcError } from '../errors.ts';
import type { Context } from './context.ts';

/**
 * Which rate-limit budget a call draws on: the shared per-client one ('default'), the tighter
 * per-IP one for credential endpoints ('auth'), or none ('none').
 */
export type RateLimitPolicy = 'default' | 'auth' | 'none';

/**
 * trpc-to-openapi's meta plus the REST success status (201 on create, 204 on delete, a redirect
 * with no body for the OAuth steps), other statuses that carry the success body (readiness
 * answers 503 with it) and the rate-limit policy.
 */
export type Meta = OpenApiMeta & { successStatus?: 200 | 201 | 204 | 302 | 307; alsoReturns?: number[]; rateLimit?: RateLimitPolicy } & RestDocMeta;

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
 * Domain errors leave every procedure as TRPCErrors with the matching code, and so does an
 * unreachable database (SERVICE_UNAVAILABLE, logged once per outage, not per call).
 */
const mapDomainErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok) {
    const appError = appErrorOf(result.error) ?? ctx.services.databaseOutage.unavailable(result.error.cause, ctx.log);
    if (appError) throw toTrpcError(appError);
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapDomainErrors);

/**
 * A logged-in caller: `Authorization: Bearer <access token>` whose session is still active and
 * whose user is active. Runs before input validation, so no credentials + bad body is 401, not 422.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const token = bearerToken(ctx.headers.authorization);
  if (!token) throw new NotAuthenticatedError();
  const { user, sessionId } = await ctx.services.sessions.authenticate(token, ctx.accessClaims);
  return next({ ctx: { ...ctx, user, sessionId } });
});

/** role == "admin" (is_superuser plays no part, as in the original). */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new AuthorizationError("Role 'admin' required for this action");
  return next();
});
