import { randomUUID } from 'node:crypto';
import type { Session } from 'lucia';
import type { SessionList, SessionRead, Token } from '@personal-automations/contracts';
import type { Database, Prisma, Session as SessionRow, User as UserRow } from '@personal-automations/db';
import { AuthenticationError, NotFoundError } from '../errors.ts';
import { isoOffset } from '../serialize.ts';
import { parseDevice } from './device.ts';
import type { LoginCache } from './login-cache.ts';
import type { SessionLucia } from './lucia.ts';
import type { RevocationBus, SessionNews } from './revocations.ts';
import { type AccessClaims, hashToken, type TokenService } from './tokens.ts';

/** Where a login comes from (stored on its session). */
export type ClientInfo = { ip?: string | null; userAgent?: string | null };

export type Authenticated = { user: UserRow; sessionId: string };

const INVALID_REFRESH = 'Invalid or expired refresh token';
const USER_DISABLED = 'User account is disabled';

/** A client that can run session statements: the database, or a transaction of a caller's. */
type SessionStore = Pick<Prisma.TransactionClient, 'session'>;

/**
 * Server-side sessions, one per login or refresh, each holding sha256(refresh token). Access
 * tokens carry their session's id, and every request re-validates that session, so revoking it
 * (logout, DELETE /sessions, refresh-token reuse, a password change) refuses its access tokens
 * at once; every revocation is also announced, so each API process closes the agent sockets
 * that were opened on it. A refresh rotates a session without revoking it: the access tokens
 * it issued stay valid until they expire, so requests already in flight are not broken.
 */
export class SessionService {
  private readonly db: Database;
  private readonly lucia: SessionLucia;
  private readonly tokens: TokenService;
  private readonly revocations: RevocationBus;
  private readonly logins: LoginCache | undefined;
  constructor(db: Database, lucia: SessionLucia, tokens: TokenService, revocations: RevocationBus, logins?: LoginCache) {
    this.db = db;
    this.lucia = lucia;
    this.tokens = tokens;
    this.revocations = revocations;
    this.logins = logins;
  }

  /**
   * A session for `refreshToken`; `familyId` links a refresh to the login it descends from.
   * Lucia's session, not a contract shape: issueTokens puts its id in the access token.
   */
  async create(userId: string, refreshToken: string, client: ClientInfo = {}, familyId?: string): Promise<Session> {
    const id = randomUUID();
    const now = new Date();
    const { deviceName, deviceType } = parseDevice(client.userAgent);
    return this.lucia.createSession(
      userId,
      {
        refreshTokenHash: hashToken(refreshToken),
        deviceName,
        deviceType,
        ipAddress: client.ip?.slice(0, 45) ?? null,
        userAgent: client.userAgent ?? null,
        isActive: true,
        createdAt: now,
        lastUsedAt: now,
        familyId: familyId ?? id,
        rotatedAt: null,
        revokedAt: null,
      },
      { sessionId: id },
    );
  }

  /** A new session and its token pair (login, OAuth, refresh). */
  async issueTokens(userId: string, client: ClientInfo, familyId?: string): Promise<Token> {
    const refresh_token = await this.tokens.createRefreshToken(userId);
    const session = await this.create(userId, refresh_token, client, familyId);
    const access_token = await this.tokens.createAccessToken(userId, session.id);
    return { access_token, refresh_token, token_type: 'bearer' };
  }

  /**
   * Retires the refresh token's session (atomically, so a token is rotated once) and returns it.
   * A token whose session was already rotated away is being replayed: the whole chain of
   * sessions that descends from that login is revoked.
   */
  async rotate(refreshToken: string): Promise<SessionRow> {
    const payload = await this.tokens.verify(refreshToken).catch(() => null);
    if (payload?.type !== 'refresh') throw new AuthenticationError(INVALID_REFRESH);
    const hash = hashToken(refreshToken);
    const now = new Date();
    const rotated = await this.db.session.updateManyAndReturn({
      where: { refreshTokenHash: hash, isActive: true, expiresAt: { gt: now } },
      data: { isActive: false, rotatedAt: now, lastUsedAt: now },
    });
    if (rotated[0]) return rotated[0];
    const replayed = await this.db.session.findFirst({ where: { refreshTokenHash: hash, rotatedAt: { not: null } } });
    if (replayed?.familyId) await this.revokeAndAnnounce({ familyId: replayed.familyId });
    throw new AuthenticationError(INVALID_REFRESH);
  }

  /** Ends the refresh token's session if it has an active one; unknown tokens are ignored. */
  async logoutByRefreshToken(refreshToken: string): Promise<void> {
    await this.revokeAndAnnounce({ refreshTokenHash: hashToken(refreshToken), isActive: true });
  }

  /**
   * The user behind an access token, if its session is still active and the user may sign in.
   * `verified`: the same token's claims when the caller has already checked its signature. A
   * login validated recently is taken from the login cache (kept only while every change to it
   * is heard of, login-cache.ts); `fresh` asks the database whatever the cache holds.
   */
  async authenticate(accessToken: string, verified?: AccessClaims, { fresh = false }: { fresh?: boolean } = {}): Promise<Authenticated> {
    const claims = verified ?? (await this.tokens.verifyAccessToken(accessToken));
    const kept = fresh ? undefined : this.logins?.get(claims.sid);
    if (kept && kept.user.id === claims.sub) return { user: kept.user, sessionId: kept.sessionId };
    const readStartedAt = Date.now();
    const { session, user } = await this.lucia.validateSession(claims.sid);
    if (!session || !user || session.userId !== claims.sub) {
      // Deactivation revokes every session too; the account's state is the more useful answer.
      if (await this.isDisabledUser(claims.sub)) throw new AuthenticationError(USER_DISABLED);
      throw new AuthenticationError('Invalid or expired token');
    }
    if (!user.isActive) throw new AuthenticationError(USER_DISABLED);
    const login = { user: { ...user, id: user.id } as UserRow, sessionId: session.id };
    this.logins?.keep({ ...login, sessionExpiresAt: session.expiresAt.getTime() }, readStartedAt);
    return login;
  }

  private async isDisabledUser(userId: string): Promise<boolean> {
    const user = await this.db.user.findUnique({ where: { id: userId }, select: { isActive: true } }).catch(() => null);
    return user?.isActive === false;
  }

  /** Sessions not revoked, most recently used first; an expired one is listed until the session cleanup deletes it. */
  async list(userId: string, currentSessionId?: string): Promise<SessionList> {
    const rows = await this.db.session.findMany({ where: { userId, isActive: true }, orderBy: { lastUsedAt: 'desc' } });
    return { sessions: rows.map((row) => toSessionRead(row, currentSessionId)), total: rows.length };
  }

  /** Revokes one of the user's sessions; another user's session is "not found". */
  async revoke(userId: string, sessionId: string): Promise<void> {
    const session = await this.db.session.findFirst({ where: { id: sessionId, userId }, select: { id: true } });
    if (!session) throw new NotFoundError('Session not found');
    await this.revokeWhere(this.db, { id: sessionId });
    await this.announce({ sessionIds: [sessionId] });
  }

  /** Revokes every session of the user; returns how many were active. */
  async revokeAll(userId: string): Promise<number> {
    const active = await this.revokeAllIn(this.db, userId);
    await this.announce({ userId });
    return active;
  }

  /**
   * Revokes the user's sessions, but `exceptSessionId`, through `store` (a caller's transaction,
   * so a password change and the revocation it implies commit together); returns how many were
   * active. The caller announces it after the commit.
   */
  revokeAllIn(store: SessionStore, userId: string, exceptSessionId?: string): Promise<number> {
    return this.revokeWhere(store, { userId, ...(exceptSessionId && { id: { not: exceptSessionId } }) });
  }

  /** Tells every API process (this one included) that sessions were revoked or an account changed. */
  announce(news: SessionNews): Promise<void> {
    return this.revocations.publish(news);
  }

  /**
   * Revokes the sessions `where` selects: active ones end, and rotated ones stop accepting the
   * access tokens they issued. Returns how many were active.
   */
  private async revokeWhere(store: SessionStore, where: Prisma.SessionWhereInput): Promise<number> {
    const revokedAt = new Date();
    const { count } = await store.session.updateMany({ where: { ...where, isActive: true }, data: { isActive: false, revokedAt } });
    await store.session.updateMany({ where: { ...where, revokedAt: null }, data: { isActive: false, revokedAt } });
    return count;
  }

  private async revokeAndAnnounce(where: Prisma.SessionWhereInput): Promise<void> {
    const sessions = await this.db.session.findMany({ where: { ...where, revokedAt: null }, select: { id: true } });
    if (!sessions.length) return;
    const sessionIds = sessions.map(({ id }) => id);
    await this.revokeWhere(this.db, { id: { in: sessionIds } });
    await this.announce({ sessionIds });
  }

  /** Removes sessions that expired (the scheduler's cleanup). */
  deleteExpiredSessions(): Promise<void> {
    return this.lucia.deleteExpiredSessions();
  }

  // The original's SessionService method names, camelCased, kept as aliases so code written
  // against them still works (test/seed-names.test.ts).
  /** `create_session`: {@link SessionService.create}. */
  readonly createSession = this.create;
  /** `get_user_sessions`: {@link SessionService.list}. */
  readonly getUserSessions = this.list;
  /** `revoke_session`: {@link SessionService.revoke}. */
  readonly revokeSession = this.revoke;
}

function toSessionRead(row: SessionRow, currentSessionId: string | undefined): SessionRead {
  return {
    id: row.id,
    device_name: row.deviceName,
    device_type: row.deviceType,
    ip_address: row.ipAddress,
    is_current: row.id === currentSessionId,
    created_at: isoOffset(row.createdAt),
    last_used_at: isoOffset(row.lastUsedAt),
  };
}
