import type { AnyProcedure } from '@trpc/server';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitError, ServiceUnavailableError } from '@personal-automations/services';
import { appErrorOf, toTrpcError } from '../errors.ts';
import type { AppRouter } from '../routers/index.ts';
import { createContext, type ContextDeps } from '../trpc/context.ts';
import { cacheHeadersFor, type Meta, type RateLimitPolicy } from '../trpc/trpc.ts';
import { trpcCallPaths } from '../trpc/call-paths.ts';
import { rateLimitPolicyOf, UNKNOWN_CALL_POLICY } from './rate-limit.ts';

/**
 * Every procedure takes JSON. tRPC would also hand a multipart or octet-stream body to a
 * procedure (and its Fastify adapter fails on a multipart one with a 500), so a POST body of any
 * other type is refused before anything reads it: 415 in tRPC's error format.
 */
async function refuseNonJsonBodies(request: FastifyRequest, reply: FastifyReply) {
  const type = request.headers['content-type'];
  if (request.method !== 'POST' || !type || /^application\/json\s*(;|$)/i.test(type)) return;
  const code = 'UNSUPPORTED_MEDIA_TYPE';
  const message = `Unsupported content-type ${JSON.stringify(type.split(';', 1)[0]!.trim())}: tRPC calls take application/json`;
  return reply.code(415).send({ error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: 415 } } });
}

/** The tRPC endpoint for TypeScript clients (its own error format, tRPC codes). */
export async function trpcPlugin(app: FastifyInstance, options: ContextDeps & { router: AppRouter }) {
  const { router, ...deps } = options;

  // One route serves every procedure: each call the URL names (a batch names several, `a.b,c.d`)
  // draws on its own procedure's budget, so login over tRPC is held to the same tighter limit as
  // over REST, call by call. An exceeded limit is reported by createContext, so tRPC clients
  // get it in their own error format.
  const procedures = router._def.procedures as unknown as Record<string, AnyProcedure>; // flat: `auth.login` → procedure
  const metaOf = (path: string) => procedures[path]?._def.meta as Meta | undefined;
  const policies = new Map(Object.keys(procedures).map((path) => [path, rateLimitPolicyOf(metaOf(path))]));
  const maxBatchSize = deps.settings.TRPC_MAX_BATCH_SIZE;
  const policiesOfCalls = (request: FastifyRequest): RateLimitPolicy[] => {
    const param = String((request.params as { path?: string }).path ?? '');
    const { paths } = trpcCallPaths(param, request.url, request.method, request.headers['content-type']);
    // A request tRPC refuses before running anything (undecodable, too large a batch) costs one call.
    if (!paths || paths.length > maxBatchSize) return [UNKNOWN_CALL_POLICY];
    return paths.map((path) => policies.get(path) ?? UNKNOWN_CALL_POLICY);
  };
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, rateLimitPolicy: policiesOfCalls, rateLimitAnswersItself: true };
  });
  app.addHook('onRequest', refuseNonJsonBodies);

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router,
      // A larger batch is refused whole (400 BAD_REQUEST), before any of its calls runs.
      maxBatchSize,
      createContext: ({ req }) => {
        // Over budget: every call of the request fails with TOO_MANY_REQUESTS (HTTP 429).
        if (req.rateLimitExceeded) throw toTrpcError(req.rateLimitExceeded);
        return createContext(deps, 'trpc', req);
      },
      // A refusal that says when to come back (429, 503) carries Retry-After, as over REST. The
      // cache headers come from the procedures named, not from what they ran: a streamed batch
      // sends its headers before its calls run.
      responseMeta: ({ errors, info }) => {
        const retryAfter = errors.map((error) => appErrorOf(error)).find((e) => e instanceof RateLimitError || e instanceof ServiceUnavailableError);
        const cacheHeaders = cacheHeadersFor(info?.calls.map((call) => metaOf(call.path)) ?? []);
        return { headers: { ...cacheHeaders, ...(retryAfter ? { 'retry-after': String(retryAfter.retryAfter) } : {}) } };
      },
      onError: ({ error, req, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
}
