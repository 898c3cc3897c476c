// "Sign in with Google" as browser redirects. The state and PKCE verifier live in a short-lived
// httpOnly cookie between the two steps: no server state, and the callback only succeeds in the
// browser that started the flow (a cookie-less state store would not stop login CSRF).
import { z } from 'zod';
import type { OAuthFlow } from '@personal-automations/services';
import { type Context, clientInfo } from '../context.ts';
import { cookieValue } from '../credentials.ts';
import { publicProcedure, router } from '../trpc.ts';

const tags = ['oauth'];
const FLOW_COOKIE = 'google_oauth_flow';
const FLOW_MAX_AGE_SECONDS = 600;

/** The cookie that carries `state.codeVerifier` (both base64url, so the dot is unambiguous). */
function flowCookie(ctx: Context, value: string, maxAgeSeconds: number): string {
  const attributes = [
    `${FLOW_COOKIE}=${value}`,
    `Path=${ctx.settings.API_V1_STR}/oauth`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (ctx.settings.isProduction) attributes.push('Secure');
  return attributes.join('; ');
}

function readFlow(ctx: Context): OAuthFlow | null {
  const value = cookieValue(ctx.headers.cookie, FLOW_COOKIE);
  if (value === undefined) return null;
  const [state, codeVerifier, ...rest] = value.split('.');
  return state && codeVerifier && !rest.length ? { state, codeVerifier } : null;
}

/** A 302 (the REST surface sends it without a body); `noStore` on both steps, since their URLs and cookie carry tokens and the PKCE verifier. */
function redirect(ctx: Context, location: string, cookie: string | undefined): void {
  ctx.response.status = 302;
  ctx.response.headers.location = location;
  if (cookie) ctx.response.headers['set-cookie'] = cookie;
}

const CallbackQuery = z.object({
  code: z.string().optional(),
  state: z.string().optional(),
  /** Google's own error (e.g. access_denied when the user cancels). */
  error: z.string().optional(),
});

export const oauthRouter = router({
  googleLogin: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/oauth/google/login',
        tags,
        summary: 'Login with Google',
        description:
          "302 to Google's consent page with state and PKCE (S256); to the frontend's login page with `error` when Google OAuth is not configured.",
      },
      successStatus: 302,
      noStore: true,
    })
    .input(z.void())
    .output(z.void())
    .query(async ({ ctx }) => {
      const { location, flow } = await ctx.services.googleOAuth.authorizationUrl();
      redirect(ctx, location, flow && flowCookie(ctx, `${flow.state}.${flow.codeVerifier}`, FLOW_MAX_AGE_SECONDS));
    }),
  googleCallback: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/oauth/google/callback',
        tags,
        summary: 'Google OAuth callback',
        description:
          '302 to `FRONTEND_URL/auth/callback?access_token=…&refresh_token=…` (a session is created as at login), or to `FRONTEND_URL/login?error=…` on any failure.',
      },
      successStatus: 302,
      noStore: true,
    })
    .input(CallbackQuery)
    .output(z.void())
    .query(async ({ ctx, input }) => {
      const location = await ctx.services.googleOAuth.handleCallback({ ...input, flow: readFlow(ctx), client: clientInfo(ctx) });
      // the flow is single-use: the cookie goes whatever the outcome
      redirect(ctx, location, flowCookie(ctx, '', 0));
    }),
});
