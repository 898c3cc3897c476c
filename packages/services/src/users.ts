import type { Page, PageQuery, UserCreate, UserRead, UserUpdate } from '@personal-automations/contracts';
import { type Database, isRecordNotFound, isUniqueViolation, type Prisma, type User } from '@personal-automations/db';
import type { PasswordHasher } from './auth/passwords.ts';
import type { SessionService } from './auth/sessions.ts';
import { AlreadyExistsError, AuthenticationError, NotFoundError } from './errors.ts';
import { publishEvent } from './events.ts';
import { listPage } from './pagination.ts';
import { isoOffset, isoOffsetOrNull } from './serialize.ts';

export const toUserRead = (user: User): UserRead => ({
  id: user.id,
  email: user.email,
  full_name: user.fullName,
  is_active: user.isActive,
  is_superuser: user.isSuperuser,
  role: user.role === 'admin' ? 'admin' : 'user',
  created_at: isoOffset(user.createdAt),
  updated_at: isoOffsetOrNull(user.updatedAt),
});

const INVALID_CREDENTIALS = 'Invalid email or password';
const emailTaken = (email: string) => new AlreadyExistsError('Email already registered', { email });
const userNotFound = (userId: string) => new NotFoundError('User not found', { user_id: userId });

/**
 * `asAdmin`: `role` may change. `callerSessionId`: the session making the change, which a
 * password change leaves alive (every other session of the user is revoked).
 */
export type UpdateOptions = { asAdmin: boolean; callerSessionId?: string };

/** Who an external provider says signed in. */
export type OAuthIdentity = { provider: string; subject: string; email: string; emailVerified: boolean; fullName: string | null };

/** `linkExistingAccounts`: an identity may take over a password account with its email (OAUTH_LINK_EXISTING_ACCOUNTS). */
export type UserServiceDeps = { passwords: PasswordHasher; sessions: SessionService; linkExistingAccounts: boolean };

/** An identity whose email belongs to an account with a password, which is not linked by default. */
export class AccountExistsError extends AuthenticationError {
  constructor() {
    super('An account with this email already exists: sign in with its password');
  }
}

export class UserService {
  private readonly db: Database;
  private readonly passwords: PasswordHasher;
  private readonly sessions: SessionService;
  private readonly linkExistingAccounts: boolean;
  constructor(db: Database, { passwords, sessions, linkExistingAccounts }: UserServiceDeps) {
    this.db = db;
    this.passwords = passwords;
    this.sessions = sessions;
    this.linkExistingAccounts = linkExistingAccounts;
  }

  /**
   * A new active account: role "user" whatever the input says; only the CLI, which may create
   * admins, passes `extra`.
   */
  async register(input: UserCreate, extra: { role?: 'admin' | 'user'; isSuperuser?: boolean } = {}): Promise<UserRead> {
    if (await this.rowByEmail(input.email)) throw emailTaken(input.email);
    const hashedPassword = await this.passwords.hash(input.password);
    try {
      return await this.db.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: {
            email: input.email,
            hashedPassword,
            fullName: input.full_name ?? null,
            role: extra.role ?? 'user',
            isSuperuser: extra.isSuperuser ?? false,
          },
        });
        const read = toUserRead(user);
        await publishEvent(tx, 'user.created', read);
        return read;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(input.email); // a concurrent registration won
      throw error;
    }
  }

  /**
   * The user with this email (compared exactly) and password. Wrong password, unknown email and
   * password-less (OAuth-only) accounts all get the same answer. A legacy bcrypt hash that
   * matches is replaced by an argon2id one. The row, not the contract's shape: a login issues
   * tokens for it and answers no client with it.
   */
  async authenticate(email: string, password: string): Promise<User> {
    const user = await this.rowByEmail(email);
    if (!user?.hashedPassword) {
      await this.passwords.verifyAgainstDummy(password);
      throw new AuthenticationError(INVALID_CREDENTIALS);
    }
    const check = await this.passwords.verify(password, user.hashedPassword);
    if (!check.ok) throw new AuthenticationError(INVALID_CREDENTIALS);
    if (!user.isActive) throw new AuthenticationError('User account is disabled');
    if (check.needsRehash) {
      await this.db.user.update({ where: { id: user.id }, data: { hashedPassword: await this.passwords.hash(password) } });
    }
    return user;
  }

  /**
   * The account for an external identity: the one linked to it, else the one with its email,
   * else a new password-less account. An account found by email is linked now only if the
   * provider verified that email (otherwise whoever controls the provider account could take
   * over a password account) and, unless `linkExistingAccounts`, only if it has no password:
   * whoever registered an email first, with a password of their own, must not share the account
   * its real owner later signs into with the provider (pre-account hijacking). The row, as
   * `authenticate` returns it: the sign-in issues tokens for it.
   */
  async findOrCreateForOAuth(identity: OAuthIdentity): Promise<User> {
    const { provider, subject, email } = identity;
    const linked = await this.db.user.findFirst({ where: { oauthProvider: provider, oauthId: subject }, orderBy: { createdAt: 'asc' } });
    if (linked) return activeOrRefused(linked);
    const byEmail = await this.rowByEmail(email);
    if (byEmail) {
      if (!identity.emailVerified) throw new AuthenticationError('Email already registered and not verified by the provider');
      activeOrRefused(byEmail);
      if (byEmail.hashedPassword && !this.linkExistingAccounts) throw new AccountExistsError();
      const linked = await this.db.$transaction(async (tx) => {
        const user = await tx.user.update({
          where: { id: byEmail.id },
          data: { oauthProvider: provider, oauthId: subject, updatedAt: new Date() },
        });
        await publishEvent(tx, 'user.updated', toUserRead(user));
        return user;
      });
      await this.sessions.announce({ userChanged: linked.id });
      return linked;
    }
    try {
      return await this.db.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: { email, hashedPassword: null, fullName: identity.fullName, role: 'user', oauthProvider: provider, oauthId: subject },
        });
        await publishEvent(tx, 'user.created', toUserRead(user));
        return user;
      });
    } catch (error) {
      // a concurrent sign-in created the account first: this one finds it
      if (isUniqueViolation(error)) return this.findOrCreateForOAuth(identity);
      throw error;
    }
  }

  list(query: PageQuery): Promise<Page<UserRead>> {
    return listPage(
      {
        rows: (window) => this.db.user.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...window }),
        count: () => this.db.user.count(),
      },
      query,
      toUserRead,
    );
  }

  async get(userId: string): Promise<UserRead> {
    const user = await this.db.user.findUnique({ where: { id: userId } });
    if (!user) throw userNotFound(userId);
    return toUserRead(user);
  }

  /** The account with this email (compared exactly), or null: the CLI looks users up by email. */
  async findByEmail(email: string): Promise<UserRead | null> {
    const user = await this.rowByEmail(email);
    return user && toUserRead(user);
  }

  /**
   * Partial update; `role` only when an admin asks. A taken email is a conflict. A new password
   * revokes every other session of the user, and deactivation all of them, in the same transaction.
   */
  async update(userId: string, changes: UserUpdate, { asAdmin, callerSessionId }: UpdateOptions): Promise<UserRead> {
    const data: Prisma.UserUpdateInput = { updatedAt: new Date() };
    if (changes.email !== undefined) data.email = changes.email;
    if (changes.full_name !== undefined) data.fullName = changes.full_name;
    if (changes.is_active !== undefined) data.isActive = changes.is_active;
    if (changes.role !== undefined && asAdmin) data.role = changes.role;
    if (changes.password !== undefined) data.hashedPassword = await this.passwords.hash(changes.password);
    const deactivated = changes.is_active === false;
    const revokes = deactivated || changes.password !== undefined;
    const keep = deactivated ? undefined : callerSessionId;
    if (changes.email !== undefined) {
      const owner = await this.rowByEmail(changes.email);
      if (owner && owner.id !== userId) throw emailTaken(changes.email);
    }
    try {
      const read = await this.db.$transaction(async (tx) => {
        const updated = toUserRead(await tx.user.update({ where: { id: userId }, data }));
        if (revokes) await this.sessions.revokeAllIn(tx, userId, keep);
        await publishEvent(tx, 'user.updated', updated);
        return updated;
      });
      // every process drops what it keeps of this account; a revocation also ends its sessions
      await this.sessions.announce(revokes ? { userId, ...(keep && { exceptSessionId: keep }) } : { userChanged: userId });
      return read;
    } catch (error) {
      if (isRecordNotFound(error)) throw userNotFound(userId);
      if (isUniqueViolation(error)) throw emailTaken(changes.email ?? '');
      throw error;
    }
  }

  /** Deletes the user with their sessions and conversations (database cascade) and their webhooks. */
  async delete(userId: string): Promise<UserRead> {
    try {
      const read = await this.db.$transaction(async (tx) => {
        // webhooks and webhook_deliveries have no ON DELETE CASCADE (the tables are kept as the
        // original created them, so its databases work unchanged); lock the webhooks first so a
        // delivery cannot be recorded between the two deletes
        await tx.$queryRaw`SELECT id FROM webhooks WHERE user_id = ${userId}::uuid FOR UPDATE`;
        await tx.webhookDelivery.deleteMany({ where: { webhook: { userId } } });
        await tx.webhook.deleteMany({ where: { userId } });
        const deleted = toUserRead(await tx.user.delete({ where: { id: userId } }));
        await publishEvent(tx, 'user.deleted', deleted);
        return deleted;
      });
      await this.sessions.announce({ userId });
      return read;
    } catch (error) {
      if (isRecordNotFound(error)) throw userNotFound(userId);
      throw error;
    }
  }

  private rowByEmail(email: string): Promise<User | null> {
    return this.db.user.findUnique({ where: { email } });
  }

  // The original's UserService method names, camelCased, kept as aliases so code written against
  // them still works (test/seed-names.test.ts).
  /** `get_by_id`: {@link UserService.get}. */
  readonly getById = this.get;
  /** `get_by_email`: {@link UserService.findByEmail}. */
  readonly getByEmail = this.findByEmail;
}

function activeOrRefused(user: User): User {
  if (!user.isActive) throw new AuthenticationError('User account is disabled');
  return user;
}
