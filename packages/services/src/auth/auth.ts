import type { LoginForm, Token } from '@personal-automations/contracts';
import { type LoginResult, logins } from '@personal-automations/observability';
import { AuthenticationError, RateLimitError } from '../errors.ts';
import { accountKey, type RateLimits } from '../limits/rate-limits.ts';
import type { UserService } from '../users.ts';
import type { ClientInfo, SessionService } from './sessions.ts';

export const TOO_MANY_FAILED_LOGINS = 'Too many failed login attempts for this account: try again later';

/** How a failed login is counted in the metrics: a wrong password or a disabled account, the account's throttle, or anything else. */
const loginFailure = (error: unknown): LoginResult =>
  error instanceof AuthenticationError ? 'invalid_credentials' : error instanceof RateLimitError ? 'throttled' : 'error';

/**
 * Login, refresh and logout: users and sessions together. Logins are throttled per account
 * (ASVS 2.2.1) beside the per-IP budget: each attempt for an email takes one point of its
 * LOGIN_MAX_FAILURES per LOGIN_FAILURE_WINDOW_SECONDS before the password is checked (so
 * parallel guesses cannot slip past the count), and a success clears the count. Unknown emails
 * are counted the same way, so the answer tells nothing about which accounts exist.
 */
export class AuthService {
  private readonly users: UserService;
  private readonly sessions: SessionService;
  private readonly rateLimits: RateLimits;
  constructor(users: UserService, sessions: SessionService, rateLimits: RateLimits) {
    this.users = users;
    this.sessions = sessions;
    this.rateLimits = rateLimits;
  }

  async login(form: LoginForm, client: ClientInfo): Promise<Token> {
    try {
      const token = await this.checkAndIssue(form, client);
      logins.inc({ result: 'success' });
      return token;
    } catch (error) {
      logins.inc({ result: loginFailure(error) });
      throw error;
    }
  }

  private async checkAndIssue(form: LoginForm, client: ClientInfo): Promise<Token> {
    const account = accountKey(form.username);
    const attempt = await this.rateLimits.consume('loginFailures', account);
    if (!attempt.allowed) throw new RateLimitError(TOO_MANY_FAILED_LOGINS, attempt.resetSeconds);
    const user = await this.users.authenticate(form.username, form.password);
    await this.rateLimits.reset('loginFailures', account);
    return this.sessions.issueTokens(user.id, client);
  }

  /** Rotates the refresh token: the old session ends, a new one continues its chain. */
  async refresh(refreshToken: string, client: ClientInfo): Promise<Token> {
    const previous = await this.sessions.rotate(refreshToken);
    const user = await this.users.get(previous.userId).catch(() => null);
    if (!user) throw new AuthenticationError('Invalid or expired refresh token');
    if (!user.is_active) throw new AuthenticationError('User account is disabled');
    return this.sessions.issueTokens(user.id, client, previous.familyId ?? previous.id);
  }

  logout(refreshToken: string): Promise<void> {
    return this.sessions.logoutByRefreshToken(refreshToken);
  }
}
