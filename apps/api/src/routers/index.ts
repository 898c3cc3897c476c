import { router } from '../trpc/trpc.ts';
import { healthRouter } from './health.ts';
import { itemsRouter } from './items.ts';

export const appRouter = router({
  health: healthRouter,
  items: itemsRouter,
});

/** The type TypeScript clients import for end-to-end typing (`import type` only: no server code). */
export type AppRouter = typeof appRouter;
