import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { FastifyInstance } from 'fastify';
import type { AppRouter } from '../routers/index.ts';
import { createContext, type ContextDeps } from '../trpc/context.ts';

/** The tRPC endpoint for TypeScript clients (its own error format, tRPC codes). */
export async function trpcPlugin(app: FastifyInstance, options: ContextDeps & { router: AppRouter }) {
  const { router, ...deps } = options;
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router,
      createContext: ({ req }) => createContext(deps, 'trpc', req),
      onError: ({ error, req, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
}
