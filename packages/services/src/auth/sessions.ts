import { randomUUID } from 'node:crypto';
import type { Session } from 'lucia';
import type { SessionList, Token } from '@personal-automations/contracts';
import type { Database, Session as SessionRow, User as UserRow } from '@personal-automations/db';
import { AuthenticationError, NotFoundError } from '../errors.ts';
import { isoOffset } from '../serialize.ts';
import { parseDevice } from './device.ts';
import type { SessionLucia } from './lucia.ts';
import { hashToken, type AccessClaims, type TokenService } from './tokens.ts';

/** Where a login comes from (stored on its session). */
export type ClientInfo = { ip?: string | null; userAgent?: string | null };

export type Authenticated = { user: UserRow; sessionId: string };

const INVALID_REFRESH = 'Invalid or expired refresh token';

/**
 * Server-side sessions, one per login or refresh, each holding sha256(refresh token). Access
 * tokens carry their session's id, and every request re-validates that session, so revoking it
 * (logout, DELETE /sessions, refresh-token reuse) refuses its access tokens at once.
 */
export class SessionService {
  private readonly db: Database;
  private readonly lucia: SessionLucia;
  private readonly tokens: TokenService;
  constructor(db: Database, lucia: SessionLucia, tokens: TokenService) {
    this.db = db;
    this.lucia = lucia;
    this.tokens = tokens;
  }

  /** A session for `refreshToken`; `familyId` links a refresh to the login it descends from. */
  async createSession(userId: string, refreshToken: string, client: ClientInfo = {}, familyId?: string): Promise<Session> {
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
      },
      { sessionId: id },
    );
  }

  /** A new session and its token pair (login, OAuth, refresh). */
  async issueTokens(userId: string, client: ClientInfo, familyId?: string): Promise<Token> {
    const refresh_token = await this.tokens.createRefreshToken(userId);
    const session = await this.createSession(userId, refresh_token, client, familyId);
    const access_token = await this.tokens.createAccessToken(userId, session.id);
    return { access_token, refresh_token, token_type: 'bearer' };
  }

  /** The active, unexpired session a refresh token belongs to, or null. */
  async validateRefreshToken(refreshToken: string): Promise<SessionRow | null> {
    return this.db.session.findFirst({ where: { refreshTokenHash: hashToken(refreshToken), isActive: true, expiresAt: { gt: new Date() } } });
  }

  /**
   * Retires the refresh token's session (atomically, so a token is rotated once) and returns it.
   * A token whose session was already rotated away is being replayed: the whole chain of
   * sessions that descends from that login is revoked.
   */
  async rotate(refreshToken: string): Promise<SessionRow> {
    const payload = await this.tokens.verify(refreshToken).catch(() => null);
    if (!payload || payload.type !== 'refresh') throw new AuthenticationError(INVALID_REFRESH);
    const hash = hashToken(refreshToken);
    const now = new Date();
    const rotated = await this.db.session.updateManyAndReturn({
      where: { refreshTokenHash: hash, isActive: true, expiresAt: { gt: now } },
      data: { isActive: false, rotatedAt: now, lastUsedAt: now },
    });
    if (rotated[0]) return rotated[0];
    const replayed = await this.db.session.findFirst({ where: { refreshTokenHash: hash, rotatedAt: { not: null } } });
    if (replayed?.familyId) {
      await this.db.session.updateMany({ where: { familyId: replayed.familyId, isActive: true }, data: { isActive: false } });
    }
    throw new AuthenticationError(INVALID_REFRESH);
  }

  /** Ends the refresh token's session if it has an active one; unknown tokens are ignored. */
  async logoutByRefreshToken(refreshToken: string): Promise<void> {
    await this.db.session.updateMany({ where: { refreshTokenHash: hashToken(refreshToken), isActive: true }, data: { isActive: false } });
  }

  /**
   * The user behind an access token, if its session is still active and the user may sign in.
   * `verified`: the same token's claims when the caller has already checked its signature.
   */
  async authenticate(accessToken: string, verified?: AccessClaims): Promise<Authenticated> {
    const claims = verified ?? (await this.tokens.verifyAccessToken(accessToken));
    const { session, user } = await this.lucia.validateSession(claims.sid);
    if (!session || !user || session.userId !== claims.sub) throw new AuthenticationError('Invalid or expired token');
    if (!user.isActive) throw new AuthenticationError('User account is disabled');
    return { user: { ...user, id: user.id } as UserRow, sessionId: session.id };
  }

  /** Active sessions (expired ones included, as in the original), most recently used first. */
  async getUserSessions(userId: string, currentSessionId?: string): Promise<SessionList> {
    const rows = await this.db.session.findMany({ where: { userId, isActive: true }, orderBy: { lastUsedAt: 'desc' } });
    return { sessions: rows.map((row) => toSessionRead(row, currentSessionId)), total: rows.length };
  }

  /** Revokes one of the user's sessions; another user's session is "not found". */
  async revokeSession(userId: string, sessionId: string): Promise<void> {
    const session = await this.db.session.findFirst({ where: { id: sessionId, userId }, select: { id: true } });
    if (!session) throw new NotFoundError('Session not found');
    await this.lucia.invalidateSession(sessionId);
  }

  /** Revokes every active session of the user; returns how many there were. */
  async revokeAllSessions(userId: string): Promise<number> {
    const count = await this.db.session.count({ where: { userId, isActive: true } });
    await this.lucia.invalidateUserSessions(userId);
    return count;
  }

  /** Removes sessions that expired (the scheduler's cleanup). */
  deleteExpiredSessions(): Promise<void> {
    return this.lucia.deleteExpiredSessions();
  }
}

function toSessionRead(row: SessionRow, currentSessionId: string | undefined) {
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
