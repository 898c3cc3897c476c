import { z } from 'zod';
import { boundedString, boundedText, MAX_LOGIN_FIELD_CHARS, MAX_TOKEN_CHARS } from './limits.ts';

const Credential = boundedText(MAX_LOGIN_FIELD_CHARS).min(1);
const Ignored = boundedString(MAX_LOGIN_FIELD_CHARS).optional();

export const Token = z
  .object({ access_token: z.string(), refresh_token: z.string(), token_type: z.literal('bearer') })
  .meta({ id: 'Token' });
export type Token = z.infer<typeof Token>;

/** OAuth2 password grant, form-encoded; `username` is the email, compared exactly. Empty values count as missing. */
export const LoginForm = z
  .object({
    username: Credential,
    password: Credential,
    grant_type: z.literal('password').optional(),
    scope: Ignored,
    client_id: Ignored,
    client_secret: Ignored,
  })
  .meta({ id: 'Body_login_api_v1_auth_login_post' });
export type LoginForm = z.infer<typeof LoginForm>;

export const RefreshTokenRequest = z.object({ refresh_token: boundedString(MAX_TOKEN_CHARS) }).meta({ id: 'RefreshTokenRequest' });
