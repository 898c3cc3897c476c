import { createHash, timingSafeEqual } from 'node:crypto';
import type { OAuth2Client } from 'arctic';
import type { Settings } from '@personal-automations/config';
import { AppError } from '../errors.ts';
import { AccountExistsError, type UserService } from '../users.ts';
import type { ClientInfo, SessionService } from './sessions.ts';

export type GoogleOAuthConfig = Pick<
  Settings,
  | 'GOOGLE_CLIENT_ID'
  | 'GOOGLE_CLIENT_SECRET'
  | 'GOOGLE_REDIRECT_URI'
  | 'GOOGLE_AUTH_URL'
  | 'GOOGLE_TOKEN_URL'
  | 'GOOGLE_USERINFO_URL'
  | 'FRONTEND_URL'
>;

/** What the login step hands the browser to keep until the callback (state and PKCE verifier). */
export type OAuthFlow = { state: string; codeVerifier: string };

/** Where to send the browser; `flow` is set when it goes to Google and must come back with it. */
export type OAuthStart = { location: string; flow?: OAuthFlow };

/** The callback's query parameters and the flow the browser kept (null when it kept none). */
export type GoogleCallback = {
  code?: string;
  state?: string;
  error?: string;
  flow: OAuthFlow | null;
  client: ClientInfo;
};

const SCOPES = ['openid', 'email', 'profile'];
/** arctic's token request has no timeout of its own; a provider that hangs must not hang the login. */
const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;
const USERINFO_FAILED = 'Failed to get user info from Google';
/** The `error` of the login page when the Google email belongs to a password account that is not linked. */
export const ACCOUNT_EXISTS = 'account_exists';

/** A failure whose message is safe to show on the frontend's login page. */
class OAuthFailure extends Error {}

type GoogleUserInfo = { sub: string; email: string; emailVerified: boolean; name: string | null };

/**
 * "Sign in with Google": authorization code flow with state and PKCE (S256) against configurable
 * endpoints (the tests run a fake provider). Every outcome is a redirect to the frontend: tokens
 * on success, an `error` message on failure, never an exception.
 */
export class GoogleOAuthService {
  private readonly users: UserService;
  private readonly sessions: SessionService;
  private readonly config: GoogleOAuthConfig;
  private client: OAuth2Client | undefined;
  private readonly timeoutMs: number;
  constructor(users: UserService, sessions: SessionService, config: GoogleOAuthConfig, options: { providerTimeoutMs?: number } = {}) {
    this.users = users;
    this.sessions = sessions;
    this.config = config;
    this.timeoutMs = options.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  }

  get isConfigured(): boolean {
    return this.config.GOOGLE_CLIENT_ID !== '';
  }

  /** The OAuth library and its client, loaded on the first sign-in (most API processes never see one). */
  private async arctic() {
    const arctic = await import('arctic');
    const { GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REDIRECT_URI } = this.config;
    this.client ??= new arctic.OAuth2Client(GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET || null, GOOGLE_REDIRECT_URI);
    return { ...arctic, client: this.client };
  }

  /** Google's consent page for a fresh state and code verifier, or the failure page when unconfigured. */
  async authorizationUrl(): Promise<OAuthStart> {
    if (!this.isConfigured) return { location: this.failureUrl('Google OAuth is not configured') };
    const { client, generateState, generateCodeVerifier, CodeChallengeMethod } = await this.arctic();
    const flow = { state: generateState(), codeVerifier: generateCodeVerifier() };
    const url = client.createAuthorizationURLWithPKCE(
      this.config.GOOGLE_AUTH_URL,
      flow.state,
      CodeChallengeMethod.S256,
      flow.codeVerifier,
      SCOPES,
    );
    return { location: url.toString(), flow };
  }

  /** Where to send the browser back from Google: the frontend's callback with tokens, or its login page with an error. */
  async handleCallback(callback: GoogleCallback): Promise<string> {
    try {
      const { code, codeVerifier } = this.checkCallback(callback);
      const accessToken = await this.exchangeCode(code, codeVerifier);
      const info = await this.fetchUserInfo(accessToken);
      const user = await this.users.findOrCreateForOAuth({
        provider: 'google',
        subject: info.sub,
        email: info.email,
        emailVerified: info.emailVerified,
        fullName: info.name,
      });
      const tokens = await this.sessions.issueTokens(user.id, callback.client);
      return `${this.frontendBase()}/auth/callback?access_token=${encodeURIComponent(tokens.access_token)}&refresh_token=${encodeURIComponent(tokens.refresh_token)}`;
    } catch (error) {
      // A code the frontend can act on (offer the password login), not a sentence.
      if (error instanceof AccountExistsError) return this.failureUrl(ACCOUNT_EXISTS);
      // Typed failures carry a message meant for the user; anything else stays vague (it may name internals).
      const message = error instanceof OAuthFailure || error instanceof AppError ? error.message : 'Google sign-in failed';
      return this.failureUrl(message);
    }
  }

  failureUrl(message: string): string {
    return `${this.frontendBase()}/login?error=${encodeURIComponent(message)}`;
  }

  private frontendBase(): string {
    return this.config.FRONTEND_URL.replace(/\/+$/, '');
  }

  /** The state must be the one this browser was given at login (compared in constant time). */
  private checkCallback({ code, state, error, flow }: GoogleCallback): { code: string; codeVerifier: string } {
    if (!this.isConfigured) throw new OAuthFailure('Google OAuth is not configured');
    if (error) throw new OAuthFailure(error === 'access_denied' ? 'Google sign-in was cancelled' : 'Google sign-in failed');
    if (!flow || !state || !sameSecret(flow.state, state)) throw new OAuthFailure('Invalid or expired OAuth state');
    if (!code) throw new OAuthFailure('Missing authorization code');
    return { code, codeVerifier: flow.codeVerifier };
  }

  private async exchangeCode(code: string, codeVerifier: string): Promise<string> {
    const { client, OAuth2RequestError, ArcticFetchError } = await this.arctic();
    try {
      const tokens = await this.withTimeout(client.validateAuthorizationCode(this.config.GOOGLE_TOKEN_URL, code, codeVerifier));
      return tokens.accessToken();
    } catch (error) {
      if (error instanceof OAuth2RequestError) {
        // The provider's error code (invalid_grant, …) helps; its free-text description is not shown.
        const code = /^[\w.-]{1,64}$/.test(error.code) ? error.code : 'error';
        throw new OAuthFailure(`Google sign-in failed: ${code}`);
      }
      if (error instanceof OAuthFailure) throw error; // the timeout
      throw new OAuthFailure(error instanceof ArcticFetchError ? 'Could not reach Google' : 'Google sign-in failed');
    }
  }

  private async fetchUserInfo(accessToken: string): Promise<GoogleUserInfo> {
    let body: Record<string, unknown>;
    try {
      const response = await fetch(this.config.GOOGLE_USERINFO_URL, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new OAuthFailure(USERINFO_FAILED);
      body = (await response.json()) as Record<string, unknown>;
    } catch {
      throw new OAuthFailure(USERINFO_FAILED);
    }
    const { sub, email, email_verified: verified, name } = body ?? {};
    if (typeof sub !== 'string' || !sub || typeof email !== 'string' || !email) throw new OAuthFailure(USERINFO_FAILED);
    // Google sends a boolean; some OpenID providers send the string "true".
    const emailVerified = verified === true || verified === 'true';
    return { sub, email, emailVerified, name: typeof name === 'string' && name ? name.slice(0, 255) : null };
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OAuthFailure('Could not reach Google')), this.timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Equal strings, compared in time that does not depend on where they differ. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
