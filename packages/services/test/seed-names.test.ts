// Code written against the original backend's services calls them by its method names
// (camelCased: get_by_id is getById). Those names are aliases of the services' own
// list/get/create/... methods: the same functions, so they cannot drift apart, and a flow written
// with the old names works end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { useTestDatabase } from '@personal-automations/testing';
import { createLucia } from '../src/auth/lucia.ts';
import { HashingGate, PasswordHasher } from '../src/auth/passwords.ts';
import { LocalRevocationBus } from '../src/auth/revocations.ts';
import { SessionService } from '../src/auth/sessions.ts';
import { TokenService } from '../src/auth/tokens.ts';
import { ConversationService } from '../src/conversations.ts';
import { NotFoundError } from '../src/errors.ts';
import { UserService } from '../src/users.ts';

const database = useTestDatabase();
let db: Database;
let users: UserService;
let sessions: SessionService;
let conversations: ConversationService;
beforeAll(() => {
  db = createPrismaClient({ url: database.url });
  const tokens = new TokenService({ secretKey: 'seed-names-test-secret-key-of-32-chars!', accessTokenMinutes: 5, refreshTokenMinutes: 60 });
  sessions = new SessionService(db, createLucia(db, 60), tokens, new LocalRevocationBus());
  const passwords = new PasswordHasher(new HashingGate({ concurrency: 1, queueTimeoutMs: 10_000 }));
  users = new UserService(db, { passwords, sessions, linkExistingAccounts: false });
  conversations = new ConversationService(db, { detailMaxMessages: 100 });
});
afterAll(async () => {
  await db?.$disconnect();
});

describe("the seed's service method names", () => {
  it('are the same functions as the methods they name', () => {
    expect(users.getById).toBe(users.get);
    expect(users.getByEmail).toBe(users.findByEmail);
    expect(conversations.createConversation).toBe(conversations.create);
    expect(conversations.getConversation).toBe(conversations.get);
    expect(conversations.getUserConversations).toBe(conversations.list);
    expect(conversations.deleteConversation).toBe(conversations.delete);
    expect(sessions.createSession).toBe(sessions.create);
    expect(sessions.getUserSessions).toBe(sessions.list);
    expect(sessions.revokeSession).toBe(sessions.revoke);
  });

  it('run a seed-style flow: users, sessions and conversations by their seed names', async () => {
    const registered = await users.register({ email: 'seed@example.com', password: 'correct horse battery' });
    expect(await users.getById(registered.id)).toEqual(registered);
    expect(await users.getByEmail('seed@example.com')).toEqual(registered);
    expect(await users.getByEmail('nobody@example.com')).toBeNull();

    const session = await sessions.createSession(registered.id, 'a-refresh-token');
    expect((await sessions.getUserSessions(registered.id, session.id)).sessions).toEqual([
      expect.objectContaining({ id: session.id, is_current: true }),
    ]);
    await sessions.revokeSession(registered.id, session.id);
    expect(await sessions.getUserSessions(registered.id)).toEqual({ sessions: [], total: 0 });

    const conversation = await conversations.createConversation(registered.id, { title: 'seed' });
    await conversations.addMessage(registered.id, conversation.id, { role: 'user', content: 'hello' });
    expect(await conversations.getConversation(registered.id, conversation.id)).toMatchObject({
      id: conversation.id,
      messages: [{ content: 'hello' }],
    });
    expect(await conversations.getUserConversations(registered.id, { skip: 0, limit: 10, include_archived: false })).toMatchObject({
      total: 1,
    });
    await conversations.deleteConversation(registered.id, conversation.id);
    await expect(conversations.getConversation(registered.id, conversation.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
