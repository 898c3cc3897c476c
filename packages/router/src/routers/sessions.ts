import { z } from 'zod';
import { LogoutAllResponse, SessionIdParam, SessionList } from '@personal-automations/contracts';
import { authedProcedure, router } from '../trpc.ts';

const tags = ['sessions'];

export const sessionsRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/sessions', tags, summary: 'List active sessions' } })
    .input(z.void())
    .output(SessionList)
    .query(({ ctx }) => ctx.services.sessions.list(ctx.user.id, ctx.sessionId)),
  revoke: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/sessions/{session_id}', tags, summary: 'Revoke session' }, successStatus: 204 })
    .input(SessionIdParam)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.sessions.revoke(ctx.user.id, input.session_id)),
  revokeAll: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/sessions', tags, summary: 'Log out from all sessions' } })
    .input(z.void())
    .output(LogoutAllResponse)
    .mutation(async ({ ctx }) => ({
      message: 'Successfully logged out from all sessions',
      sessions_logged_out: await ctx.services.sessions.revokeAll(ctx.user.id),
    })),
});
