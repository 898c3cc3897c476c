import { z } from 'zod';
import { Text } from './common.ts';

export const Token = z
  .object({ access_token: z.string(), refresh_token: z.string(), token_type: z.literal('bearer') })
  .meta({ id: 'Token' });
export type Token = z.infer<typeof Token>;

/** OAuth2 password grant, form-encoded; `username` is the email, compared exactly. Empty values count as missing. */
export const LoginForm = z
  .object({
    username: Text.min(1),
    password: Text.min(1),
    grant_type: z.literal('password').optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
  })
  .meta({ id: 'Body_login_api_v1_auth_login_post' });
export type LoginForm = z.infer<typeof LoginForm>;

export const RefreshTokenRequest = z.object({ refresh_token: z.string() }).meta({ id: 'RefreshTokenRequest' });
