import { createCallerFactory, router } from '../trpc.ts';
import { agentRouter } from './agent.ts';
import { authRouter } from './auth.ts';
import { conversationsRouter } from './conversations.ts';
import { healthRouter } from './health.ts';
import { itemsRouter } from './items.ts';
import { oauthRouter } from './oauth.ts';
import { sessionsRouter } from './sessions.ts';
import { usageRouter } from './usage.ts';
import { usersRouter } from './users.ts';
import { webhooksRouter } from './webhooks.ts';

export const appRouter = router({
  health: healthRouter,
  auth: authRouter,
  oauth: oauthRouter,
  users: usersRouter,
  sessions: sessionsRouter,
  items: itemsRouter,
  conversations: conversationsRouter,
  webhooks: webhooksRouter,
  usage: usageRouter,
  agent: agentRouter,
});

/** The type TypeScript clients import for end-to-end typing (`import type` only: no server code). */
export type AppRouter = typeof appRouter;

/** Calls procedures in-process, with a context of the caller's making (server-side code, tests). */
export const createCaller = createCallerFactory(appRouter);
