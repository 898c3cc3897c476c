import { z } from 'zod';
import { HealthStatus, LiveStatus, ReadyStatus } from '@personal-automations/contracts';
import { type Meta, probeProcedure, router } from '../trpc.ts';

const readiness = (meta: Meta) =>
  probeProcedure
    .meta(meta)
    .input(z.void())
    .output(ReadyStatus)
    .query(async ({ ctx }) => {
      const status = await ctx.services.health.ready();
      if (status.status !== 'ready') ctx.response.status = 503;
      return status;
    });

const readyDoc = {
  tags: ['health'],
  summary: 'Readiness probe',
  description: 'Checks PostgreSQL (SELECT 1) and Redis (PING); 503 with the failing check named.',
};

export const healthRouter = router({
  check: probeProcedure
    .meta({ openapi: { method: 'GET', path: '/health', tags: ['health'], summary: 'Basic health check' } })
    .input(z.void())
    .output(HealthStatus)
    .query(() => ({ status: 'healthy' as const })),
  live: probeProcedure
    .meta({ openapi: { method: 'GET', path: '/health/live', tags: ['health'], summary: 'Liveness probe' } })
    .input(z.void())
    .output(LiveStatus)
    .query(({ ctx }) => ctx.services.health.live()),
  ready: readiness({ openapi: { method: 'GET', path: '/health/ready', ...readyDoc }, alsoReturns: [503] }),
  readyAlias: readiness({ openapi: { method: 'GET', path: '/ready', ...readyDoc, deprecated: true }, alsoReturns: [503] }),
});
