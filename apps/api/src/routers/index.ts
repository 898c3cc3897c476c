import { router } from '../trpc/trpc.ts';
import { authRouter } from './auth.ts';
import { healthRouter } from './health.ts';
import { itemsRouter } from './items.ts';
import { sessionsRouter } from './sessions.ts';
import { usersRouter } from './users.ts';

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  users: usersRouter,
  sessions: sessionsRouter,
  items: itemsRouter,
});

/** The type TypeScript clients import for end-to-end typing (`import type` only: no server code). */
export type AppRouter = typeof appRouter;
