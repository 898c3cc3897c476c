import { z } from 'zod';
import { LoginForm, RefreshTokenRequest, Token, UserCreate, UserRead } from '@personal-automations/contracts';
import { toUserRead } from '@personal-automations/services';
import { clientInfo } from '../context.ts';
import { authedProcedure, credentialsProcedure, publicProcedure, router } from '../trpc.ts';

const tags = ['auth'];

export const authRouter = router({
  register: credentialsProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/register', tags, summary: 'Register new user' },
      successStatus: 201,
      errorStatuses: [409],
    })
    .input(UserCreate)
    .output(UserRead)
    .mutation(({ ctx, input }) => ctx.services.users.register(input)),
  login: credentialsProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/login',
        tags,
        summary: 'Login with email/password',
        description: 'OAuth2 password grant: form fields `username` (the email) and `password`.',
        contentTypes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
      },
      errorStatuses: [401],
      noStore: true,
    })
    .input(LoginForm)
    .output(Token)
    .mutation(({ ctx, input }) => ctx.services.auth.login(input, clientInfo(ctx))),
  refresh: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/auth/refresh', tags, summary: 'Refresh access token' },
      errorStatuses: [401],
      noStore: true,
    })
    .input(RefreshTokenRequest)
    .output(Token)
    .mutation(({ ctx, input }) => ctx.services.auth.refresh(input.refresh_token, clientInfo(ctx))),
  logout: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/logout', tags, summary: 'Logout (invalidate session)' }, successStatus: 204 })
    .input(RefreshTokenRequest)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.auth.logout(input.refresh_token)),
  me: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/auth/me', tags, summary: 'Get current user info' } })
    .input(z.void())
    .output(UserRead)
    .query(({ ctx }) => toUserRead(ctx.user)),
});
