// The login an agent socket was opened with, watched for as long as the socket lives. A REST
// request proves its session on every call; a socket proves it once, at the upgrade, so without
// this a logged-out, revoked or expired login would keep talking to the model. The socket ends
// when its session is revoked (the revocation news reaches every API process), when its access
// token expires, or when a turn's re-check finds the session gone.

import { type RevocationBus, revokes } from '../auth/revocations.ts';
import type { SessionService } from '../auth/sessions.ts';
import { AuthenticationError } from '../errors.ts';

/** Who opened the socket: the checked access token and what it says. */
export type SocketLogin = {
  userId: string;
  sessionId: string;
  accessToken: string;
  /** The token's `exp` claim: seconds since the epoch. */
  expiresAt: number;
};

export const SESSION_REVOKED = 'Session revoked';
export const TOKEN_EXPIRED = 'Token expired';

/** setTimeout's longest delay (about 24.8 days); a later expiry is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type SocketSessionDeps = { sessions: SessionService; revocations: RevocationBus };

export class SocketSession {
  private readonly deps: SocketSessionDeps;
  private readonly login: SocketLogin;
  /** Called once, with the close reason, when the login has ended. */
  private readonly onEnded: (reason: string) => void;
  private unsubscribe: (() => void) | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(deps: SocketSessionDeps, login: SocketLogin, onEnded: (reason: string) => void) {
    this.deps = deps;
    this.login = login;
    this.onEnded = onEnded;
  }

  /**
   * Starts listening for revocations and arms the expiry timer, then checks the session once
   * more: a revocation between the upgrade's check and the subscription would otherwise go unheard.
   */
  async watch(): Promise<void> {
    const { userId, sessionId } = this.login;
    this.unsubscribe = this.deps.revocations.subscribe((revocation) => {
      if (revokes(revocation, userId, sessionId)) this.end(SESSION_REVOKED);
    });
    this.armExpiry();
    // A database that cannot answer now does not end the socket: every turn asks again.
    await this.stillValid().catch(() => false);
  }

  /**
   * Whether the socket may start a turn: the token is still unexpired and its session active
   * (checked in the database, as a REST request is). An ended login ends the socket.
   */
  async stillValid(): Promise<boolean> {
    if (this.ended) return false;
    try {
      // from the database, not the login cache: a change made there behind the news still counts
      await this.deps.sessions.authenticate(this.login.accessToken, undefined, { fresh: true });
      return !this.ended;
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      this.end(error.message);
      return false;
    }
  }

  /** The socket closed: stop listening. */
  stop(): void {
    this.ended = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.expiryTimer);
  }

  private armExpiry(): void {
    const remainingMs = this.login.expiresAt * 1000 - Date.now();
    if (remainingMs <= 0) {
      this.end(TOKEN_EXPIRED);
      return;
    }
    this.expiryTimer = setTimeout(() => this.armExpiry(), Math.min(remainingMs, MAX_TIMER_MS));
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.stop();
    this.onEnded(reason);
  }
}
