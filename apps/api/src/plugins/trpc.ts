// The tRPC endpoint for TypeScript clients at /trpc: the same procedures as REST, in tRPC's own
// error format and codes.
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  type AppRouter,
  appErrorOf,
  appRouter,
  cacheHeadersFor,
  createContext,
  type RateLimitPolicy,
  toTrpcError,
} from '@personal-automations/router';
import { RateLimitError, ServiceUnavailableError } from '@personal-automations/services';
import { appProcedures } from '../catalog.ts';
import { sendHttpError, trpcRequestError } from '../errors.ts';
import { trpcCallPaths } from '../trpc/call-paths.ts';
import { UNKNOWN_CALL_POLICY } from './rate-limit.ts';

export const TRPC_PREFIX = '/trpc';

/**
 * Every procedure takes JSON. tRPC would also hand a multipart or octet-stream body to a
 * procedure (and its Fastify adapter fails on a multipart one with a 500), so a POST body of any
 * other type is refused before anything reads it: 415 in tRPC's error format.
 */
async function refuseNonJsonBodies(request: FastifyRequest, reply: FastifyReply) {
  const type = request.headers['content-type'];
  if (request.method !== 'POST' || !type || /^application\/json\s*(;|$)/i.test(type)) return;
  const media = JSON.stringify(type.split(';', 1)[0]!.trim());
  return sendHttpError(
    reply,
    trpcRequestError('UNSUPPORTED_MEDIA_TYPE', `Unsupported content-type ${media}: tRPC calls take application/json`),
  );
}

async function trpc(app: FastifyInstance) {
  const { platform } = app;
  const procedures = appProcedures();
  const maxBatchSize = platform.settings.TRPC_MAX_BATCH_SIZE;

  // One route serves every procedure: each call the URL names (a batch names several, `a.b,c.d`)
  // draws on its own procedure's budget, so login over tRPC is held to the same tighter limit as
  // over REST, call by call. An exceeded limit is reported by createContext, so tRPC clients
  // get it in their own error format.
  const policiesOfCalls = (request: FastifyRequest): RateLimitPolicy[] => {
    const param = String((request.params as { path?: string }).path ?? '');
    const { paths } = trpcCallPaths(param, request.url, request.method, request.headers['content-type']);
    // A request tRPC refuses before running anything (undecodable, too large a batch) costs one call.
    if (!paths || paths.length > maxBatchSize) return [UNKNOWN_CALL_POLICY];
    return paths.map((path) => procedures.get(path)?.meta.rateLimit ?? UNKNOWN_CALL_POLICY);
  };

  // A scope of its own: the hooks below and tRPC's body parsers are for its routes only.
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, rateLimitPolicy: policiesOfCalls, rateLimitAnswersItself: true };
    });
    scope.addHook('onRequest', refuseNonJsonBodies);
    await scope.register(fastifyTRPCPlugin, {
      prefix: TRPC_PREFIX,
      trpcOptions: {
        router: appRouter,
        // A larger batch is refused whole (400 BAD_REQUEST), before any of its calls runs.
        maxBatchSize,
        createContext: ({ req }) => {
          // Over budget: every call of the request fails with TOO_MANY_REQUESTS (HTTP 429).
          if (req.rateLimitExceeded) throw toTrpcError(req.rateLimitExceeded);
          return createContext(platform, req);
        },
        // A refusal that says when to come back (429, 503) carries Retry-After, as over REST. The
        // cache headers come from the procedures named, not from what they ran: a streamed batch
        // sends its headers before its calls run.
        responseMeta: ({ errors, info }) => {
          const retryAfter = errors
            .map((error) => appErrorOf(error))
            .find((e) => e instanceof RateLimitError || e instanceof ServiceUnavailableError);
          const cacheHeaders = cacheHeadersFor(info?.calls.map((call) => procedures.get(call.path)?.meta) ?? []);
          return { headers: { ...cacheHeaders, ...(retryAfter ? { 'retry-after': String(retryAfter.retryAfter) } : {}) } };
        },
        onError: ({ error, req, path }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
        },
      } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
    });
  });
}

export default fp(trpc, { name: 'trpc', dependencies: ['platform', 'errors', 'rate-limit'] });
