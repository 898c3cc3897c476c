// Sessions are run by lucia (create, validate, clean up) over the contract's `sessions` table
// through @lucia-auth/adapter-prisma. Two adjustments, through a thin adapter: lucia
// invalidates by deleting rows, but the contract keeps them and sets is_active = false (a
// revoked session still answers 204 to a repeated DELETE, and a rotated one must be recognised
// when its refresh token is replayed); and lucia slides a session's expiry on use, while the
// contract fixes expires_at at creation (= the refresh token's lifetime). A session validates
// while it is active, or once rotated by a refresh until it is revoked (revoked_at): the access
// tokens it issued before the refresh then stay good until they expire.
import { PrismaAdapter } from '@lucia-auth/adapter-prisma';
import { type Adapter, type DatabaseSession, type DatabaseUser, Lucia, TimeSpan } from 'lucia';
import type { Database, Session as SessionRow, User as UserRow } from '@personal-automations/db';

type SessionAttributes = Omit<SessionRow, 'id' | 'userId' | 'expiresAt'>;
type UserAttributes = Omit<UserRow, 'id'>;

/** Active, or rotated by a refresh and not revoked since. */
const accepts = (session: SessionAttributes): boolean => session.isActive || (session.rotatedAt !== null && session.revokedAt === null);

class DeactivatingAdapter implements Adapter {
  private readonly db: Database;
  private readonly prisma: PrismaAdapter<Database>;
  constructor(db: Database) {
    this.db = db;
    this.prisma = new PrismaAdapter(db.session, db.user);
  }

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const [session, user] = await this.prisma.getSessionAndUser(sessionId);
    if (!session || !accepts(session.attributes as SessionAttributes)) return [null, null];
    return [session, user];
  }

  getUserSessions(userId: string): Promise<DatabaseSession[]> {
    return this.prisma.getUserSessions(userId);
  }

  setSession(session: DatabaseSession): Promise<void> {
    return this.prisma.setSession(session);
  }

  async updateSessionExpiration(): Promise<void> {
    // expires_at stays what it was at creation
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { isActive: false, revokedAt: new Date() } });
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.session.updateMany({ where: { userId, revokedAt: null }, data: { isActive: false, revokedAt: new Date() } });
  }

  async deleteExpiredSessions(): Promise<void> {
    // The periodic cleanup really removes rows that can never be used again.
    await this.db.session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  }
}

export function createLucia(db: Database, refreshTokenMinutes: number) {
  return new Lucia(new DeactivatingAdapter(db), {
    sessionExpiresIn: new TimeSpan(refreshTokenMinutes, 'm'),
    getSessionAttributes: (attributes) => attributes,
    getUserAttributes: (attributes) => attributes,
  });
}

export type SessionLucia = ReturnType<typeof createLucia>;

declare module 'lucia' {
  interface Register {
    Lucia: SessionLucia;
    DatabaseSessionAttributes: SessionAttributes;
    DatabaseUserAttributes: UserAttributes;
  }
}
