// Conversations and messages over REST (and tRPC): ownership, pagination, ordering, archive,
// cascade, and the wire shapes of ConversationRead / MessageRead.
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
let alice: SignedUp;
let bob: SignedUp;
beforeAll(async () => {
  [alice, bob] = await Promise.all([signUp(t), signUp(t)]);
});

const ISO_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/;
const UNKNOWN_ID = '0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

/** fetch as `who`, JSON in and out */
async function call(who: SignedUp | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { ...(who?.auth ?? {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const create = async (who: SignedUp, body?: unknown) => {
  const res = await call(who, 'POST', '/conversations', body);
  expect(res.status).toBe(201);
  return res.body as { id: string; title: string | null; updated_at: string | null; is_archived: boolean };
};

const notFound = (id: string) => ({ error: { code: 'NOT_FOUND', message: 'Conversation not found', details: { conversation_id: id } } });

describe('creating conversations', () => {
  it('POST with no body → 201, owned by the caller, not archived, updated_at null; conversation.created is in the outbox', async () => {
    const res = await call(alice, 'POST', '/conversations');
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toEqual({
      id: expect.any(String),
      user_id: alice.id,
      title: null,
      is_archived: false,
      created_at: expect.stringMatching(ISO_OFFSET),
      updated_at: null,
    });
    const events = await t.db.outboxEvent.findMany({ where: { eventType: 'conversation.created' } });
    expect(events.map((e) => e.payload)).toContainEqual(res.body);
  });

  it('strips the title, ignores a user_id in the body, refuses a title over 255 characters', async () => {
    const created = await create(alice, { title: '  Trip plans  ', user_id: bob.id });
    expect(created).toMatchObject({ title: 'Trip plans', user_id: alice.id });
    const tooLong = await call(alice, 'POST', '/conversations', { title: 'x'.repeat(256) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.detail[0]).toMatchObject({ type: 'string_too_long', loc: ['body', 'title'], ctx: { max_length: 255 } });
  });

  it('needs a logged-in user', async () => {
    const res = await call(null, 'POST', '/conversations', {});
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Not authenticated' });
  });
});

describe('listing conversations', () => {
  it("lists only the caller's conversations, newest activity first, archived ones only on request", async () => {
    const carol = await signUp(t);
    const first = await create(carol, { title: 'first' });
    const second = await create(carol, { title: 'second' });
    const third = await create(carol, { title: 'third' });
    await create(bob, { title: 'not carol' });
    // a message bumps updated_at of `first`; `third` is archived; `second` was never updated
    await call(carol, 'POST', `/conversations/${first.id}/messages`, { role: 'user', content: 'hi' });
    await call(carol, 'POST', `/conversations/${third.id}/archive`);

    const active = await call(carol, 'GET', '/conversations');
    expect(active.status).toBe(200);
    expect(active.body.total).toBe(2);
    // never-updated conversations sort first (PostgreSQL puts NULLs first in descending order)
    expect(active.body.items.map((c: { id: string }) => c.id)).toEqual([second.id, first.id]);

    const all = await call(carol, 'GET', '/conversations?include_archived=true');
    expect(all.body.total).toBe(3);
    expect(all.body.items.map((c: { id: string }) => c.id)).toEqual([second.id, third.id, first.id]);

    const page = await call(carol, 'GET', '/conversations?include_archived=true&skip=1&limit=1');
    expect(page.body).toEqual({ items: [all.body.items[1]], total: 3 });
  });

  it('checks skip and limit (1..100)', async () => {
    for (const query of ['limit=0', 'limit=101', 'skip=-1', 'limit=abc']) {
      expect((await call(alice, 'GET', `/conversations?${query}`)).status, query).toBe(422);
    }
    expect((await call(alice, 'GET', '/conversations?limit=100')).status).toBe(200);
  });
});

describe('one conversation', () => {
  it('GET returns it with its messages oldest first, each with tool_calls', async () => {
    const conversation = await create(alice, { title: 'with messages' });
    await call(alice, 'POST', `/conversations/${conversation.id}/messages`, { role: 'user', content: 'question' });
    await call(alice, 'POST', `/conversations/${conversation.id}/messages`, {
      role: 'assistant',
      content: 'answer',
      model_name: 'm',
      tokens_used: 7,
    });
    const res = await call(alice, 'GET', `/conversations/${conversation.id}`);
    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'question'],
      ['assistant', 'answer'],
    ]);
    expect(res.body.messages[1]).toMatchObject({ model_name: 'm', tokens_used: 7, tool_calls: [], updated_at: null });
  });

  it("another user's conversation is 404 on every route, exactly like an unknown id", async () => {
    const mine = await create(alice, { title: 'private' });
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['PATCH', '', { title: 'stolen' }],
      ['POST', '/archive'],
      ['GET', '/messages'],
      ['POST', '/messages', { role: 'user', content: 'intrusion' }],
      ['DELETE', ''],
    ];
    for (const [method, suffix, body] of routes) {
      for (const id of [mine.id, UNKNOWN_ID]) {
        const res = await call(bob, method, `/conversations/${id}${suffix}`, body);
        expect(res.status, `${method} ${suffix} ${id}`).toBe(404);
        expect(res.body).toEqual(notFound(id));
      }
    }
    const untouched = await call(alice, 'GET', `/conversations/${mine.id}`);
    expect(untouched.body).toMatchObject({ title: 'private', is_archived: false, updated_at: null, messages: [] });
  });

  it('a path id that is not a UUID is 422', async () => {
    const res = await call(alice, 'GET', '/conversations/not-a-uuid');
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ type: 'uuid_parsing', loc: ['path', 'conversation_id'] });
  });

  it('PATCH changes only what is sent (title may become null) and sets updated_at', async () => {
    const conversation = await create(alice, { title: 'old' });
    const renamed = await call(alice, 'PATCH', `/conversations/${conversation.id}`, { title: ' new ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ title: 'new', is_archived: false, updated_at: expect.stringMatching(ISO_OFFSET) });
    const archived = await call(alice, 'PATCH', `/conversations/${conversation.id}`, { is_archived: true });
    expect(archived.body).toMatchObject({ title: 'new', is_archived: true });
    const cleared = await call(alice, 'PATCH', `/conversations/${conversation.id}`, { title: null, is_archived: false });
    expect(cleared.body).toMatchObject({ title: null, is_archived: false });
  });

  it('POST /archive archives it (200 ConversationRead)', async () => {
    const conversation = await create(alice);
    const res = await call(alice, 'POST', `/conversations/${conversation.id}/archive`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: conversation.id, is_archived: true, updated_at: expect.stringMatching(ISO_OFFSET) });
  });

  it('DELETE → 204 and removes its messages and tool calls with it', async () => {
    const conversation = await create(alice);
    const message = await call(alice, 'POST', `/conversations/${conversation.id}/messages`, {
      role: 'assistant',
      content: 'with a tool call',
    });
    await t.db.toolCall.create({
      data: { messageId: message.body.id, toolCallId: 'call_1', toolName: 'current_datetime', startedAt: new Date(), status: 'completed' },
    });
    const res = await fetch(`${t.baseUrl}/api/v1/conversations/${conversation.id}`, { method: 'DELETE', headers: alice.auth });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await t.db.message.count({ where: { conversationId: conversation.id } })).toBe(0);
    expect(await t.db.toolCall.count({ where: { messageId: message.body.id } })).toBe(0);
    expect((await call(alice, 'GET', `/conversations/${conversation.id}`)).status).toBe(404);
  });
});

describe('messages', () => {
  it('POST → 201 MessageRead with tool_calls [], and the conversation updated_at becomes its created_at', async () => {
    const conversation = await create(alice);
    const res = await call(alice, 'POST', `/conversations/${conversation.id}/messages`, {
      role: 'user',
      content: '  hello  ',
      model_name: null,
      tokens_used: 0,
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      conversation_id: conversation.id,
      role: 'user',
      content: 'hello',
      model_name: null,
      tokens_used: 0,
      created_at: expect.stringMatching(ISO_OFFSET),
      updated_at: null,
      tool_calls: [],
    });
    const after = await call(alice, 'GET', `/conversations/${conversation.id}`);
    expect(after.body.updated_at).toBe(res.body.created_at);
  });

  it('refuses a bad role, missing content, negative tokens and a model name over 100 characters (422)', async () => {
    const conversation = await create(alice);
    const cases: [unknown, string][] = [
      [{ role: 'robot', content: 'x' }, 'role'],
      [{ role: 'user' }, 'content'],
      [{ role: 'user', content: 'x', tokens_used: -1 }, 'tokens_used'],
      [{ role: 'user', content: 'x', model_name: 'm'.repeat(101) }, 'model_name'],
    ];
    for (const [body, field] of cases) {
      const res = await call(alice, 'POST', `/conversations/${conversation.id}/messages`, body);
      expect(res.status, field).toBe(422);
      expect(res.body.detail[0].loc, field).toEqual(['body', field]);
    }
    expect(await t.db.message.count({ where: { conversationId: conversation.id } })).toBe(0);
  });

  it('GET lists MessageReadSimple oldest first, with skip/limit (1..500) and total', async () => {
    const conversation = await create(alice);
    for (const content of ['one', 'two', 'three'])
      await call(alice, 'POST', `/conversations/${conversation.id}/messages`, { role: 'user', content });
    const all = await call(alice, 'GET', `/conversations/${conversation.id}/messages`);
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.items.map((m: { content: string }) => m.content)).toEqual(['one', 'two', 'three']);
    expect(all.body.items[0]).not.toHaveProperty('tool_calls');
    const page = await call(alice, 'GET', `/conversations/${conversation.id}/messages?skip=1&limit=1`);
    expect(page.body).toEqual({ items: [all.body.items[1]], total: 3 });
    expect((await call(alice, 'GET', `/conversations/${conversation.id}/messages?limit=501`)).status).toBe(422);
    expect((await call(alice, 'GET', `/conversations/${conversation.id}/messages?limit=500`)).status).toBe(200);
  });
});

describe('conversations over tRPC', () => {
  const client = (who: SignedUp) =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${t.baseUrl}/trpc`, headers: () => who.auth })] });

  it('create takes no input; get of another user’s conversation is NOT_FOUND', async () => {
    const created = await client(alice).conversations.create.mutate();
    expect(created).toMatchObject({ user_id: alice.id, title: null });
    const message = await client(alice).conversations.addMessage.mutate({ conversation_id: created.id, role: 'user', content: 'via trpc' });
    expect(message.tool_calls).toEqual([]);
    const error = await client(bob)
      .conversations.get.query({ conversation_id: created.id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', details: { conversation_id: created.id } });
  });
});
