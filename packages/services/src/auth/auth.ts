import type { LoginForm, Token } from '@personal-automations/contracts';
import { AuthenticationError } from '../errors.ts';
import type { UserService } from '../users.ts';
import type { ClientInfo, SessionService } from './sessions.ts';

/** Login, refresh and logout: users and sessions together. */
export class AuthService {
  private readonly users: UserService;
  private readonly sessions: SessionService;
  constructor(users: UserService, sessions: SessionService) {
    this.users = users;
    this.sessions = sessions;
  }

  async login(form: LoginForm, client: ClientInfo): Promise<Token> {
    const user = await this.users.authenticate(form.username, form.password);
    return this.sessions.issueTokens(user.id, client);
  }

  /** Rotates the refresh token: the old session ends, a new one continues its chain. */
  async refresh(refreshToken: string, client: ClientInfo): Promise<Token> {
    const previous = await this.sessions.rotate(refreshToken);
    const user = await this.users.getById(previous.userId).catch(() => null);
    if (!user) throw new AuthenticationError('Invalid or expired refresh token');
    if (!user.isActive) throw new AuthenticationError('User account is disabled');
    return this.sessions.issueTokens(user.id, client, previous.familyId ?? previous.id);
  }

  logout(refreshToken: string): Promise<void> {
    return this.sessions.logoutByRefreshToken(refreshToken);
  }
}
