import { z } from 'zod';
import { UserIdParam, UserListQuery, UserPage, UserRead, UserUpdate, UserUpdateInput } from '@personal-automations/contracts';
import { toUserRead } from '@personal-automations/services';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const tags = ['users'];

export const usersRouter = router({
  me: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/users/me', tags, summary: 'Get current user' } })
    .input(z.void())
    .output(UserRead)
    .query(({ ctx }) => toUserRead(ctx.user)),
  updateMe: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/users/me',
        tags,
        summary: 'Update current user',
        description: '`role` is applied only for admins.',
      },
      errorStatuses: [409],
    })
    .input(UserUpdate)
    .output(UserRead)
    .mutation(({ ctx, input }) =>
      ctx.services.users.update(ctx.user.id, input, { asAdmin: ctx.user.role === 'admin', callerSessionId: ctx.sessionId }),
    ),
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/users', tags, summary: 'List users (admin)' } })
    .input(UserListQuery)
    .output(UserPage)
    .query(({ ctx, input }) => ctx.services.users.list(input)),
  get: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/users/{user_id}', tags, summary: 'Get user by ID (admin)' } })
    .input(UserIdParam)
    .output(UserRead)
    .query(({ ctx, input }) => ctx.services.users.get(input.user_id)),
  update: adminProcedure
    .meta({ openapi: { method: 'PATCH', path: '/users/{user_id}', tags, summary: 'Update user (admin)' }, errorStatuses: [409] })
    .input(UserUpdateInput)
    .output(UserRead)
    .mutation(({ ctx, input: { user_id, ...changes } }) =>
      ctx.services.users.update(user_id, changes, { asAdmin: true, callerSessionId: ctx.sessionId }),
    ),
  delete: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/users/{user_id}', tags, summary: 'Delete user (admin)' }, successStatus: 204 })
    .input(UserIdParam)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await ctx.services.users.delete(input.user_id);
    }),
});
