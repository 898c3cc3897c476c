import type { AnyProcedure } from '@trpc/server';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toTrpcError } from '../errors.ts';
import type { AppRouter } from '../routers/index.ts';
import { createContext, type ContextDeps } from '../trpc/context.ts';
import type { Meta, RateLimitPolicy } from '../trpc/trpc.ts';
import { rateLimitPolicyOf, strictestPolicy } from './rate-limit.ts';

/** The tRPC endpoint for TypeScript clients (its own error format, tRPC codes). */
export async function trpcPlugin(app: FastifyInstance, options: ContextDeps & { router: AppRouter }) {
  const { router, ...deps } = options;

  // One route serves every procedure: the call (or batch, `a.b,c.d`) named in the URL picks the
  // budget, so login over tRPC is held to the same tighter limit as over REST. An exceeded limit
  // is reported by createContext, so tRPC clients get it in their own error format.
  const procedures = router._def.procedures as unknown as Record<string, AnyProcedure>; // flat: `auth.login` → procedure
  const policies = new Map(Object.entries(procedures).map(([path, p]) => [path, rateLimitPolicyOf(p._def.meta as Meta | undefined)]));
  const policyOfCall = (request: FastifyRequest): RateLimitPolicy => {
    const paths = String((request.params as { path?: string }).path ?? '').split(',');
    return strictestPolicy(paths.map((path) => policies.get(path) ?? 'default'));
  };
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, rateLimitPolicy: policyOfCall, rateLimitAnswersItself: true };
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router,
      createContext: ({ req }) => {
        // Over budget: every call of the request fails with TOO_MANY_REQUESTS (HTTP 429).
        if (req.rateLimitExceeded) throw toTrpcError(req.rateLimitExceeded);
        return createContext(deps, 'trpc', req);
      },
      onError: ({ error, req, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
}
