// The documented maximum lengths of free text (docs/api.md#limits): one character past the
// maximum is a 422 with a `string_too_long` item (an `error` event on the agent socket, which
// stays usable), and exactly the maximum passes. Also the one number bound added with them
// (tokens_used, int4).
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DESCRIPTION_CHARS,
  MAX_EVENT_NAME_CHARS,
  MAX_LOGIN_FIELD_CHARS,
  MAX_MESSAGE_CHARS,
  MAX_TOKEN_CHARS,
  MAX_TOKENS_USED,
  MAX_WEBHOOK_EVENTS,
} from '@personal-automations/contracts';
import { FAKE_API_KEY, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import type { AppRouter } from '../src/index.ts';
import { AgentSocket } from './agent-socket.ts';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import { restAs } from './webhooks-support.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
const t = useTestApp({
  OPENAI_BASE_URL: fake.baseUrl,
  OPENAI_API_KEY: FAKE_API_KEY,
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true', // no name is resolved here; the URL below is never delivered to
});
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
});
const api = restAs(t, () => user);

/** `n` characters of text. */
const text = (n: number) => 'x'.repeat(n);

/** The 422 `detail` item for a string past `max` at `loc`. */
const tooLong = (loc: (string | number)[], input: string, max: number) => ({
  type: 'string_too_long',
  loc,
  msg: `String should have at most ${max} characters`,
  input,
  ctx: { max_length: max },
});

async function expect422(res: Response, detail: unknown[]) {
  expect(res.status).toBe(422);
  expect(await res.json()).toEqual({ detail });
}

const newConversation = async () => (await (await api('POST', '/conversations', { title: 'bounds' })).json()).id as string;
const webhook = (body: Record<string, unknown>) =>
  api('POST', '/webhooks', { name: 'bounds', url: 'http://127.0.0.1:9/hook', events: ['never.emitted'], ...body });

describe('message content: 32,000 characters', () => {
  it('POST /conversations/{id}/messages refuses one character more with 422 and saves nothing; exactly the limit is saved', async () => {
    const id = await newConversation();
    const over = text(MAX_MESSAGE_CHARS + 1);
    await expect422(await api('POST', `/conversations/${id}/messages`, { role: 'user', content: over }), [
      tooLong(['body', 'content'], over, MAX_MESSAGE_CHARS),
    ]);
    expect(await t.db.message.count({ where: { conversationId: id } })).toBe(0);

    const res = await api('POST', `/conversations/${id}/messages`, { role: 'user', content: ` ${text(MAX_MESSAGE_CHARS)} ` }); // stripped first
    expect(res.status).toBe(201);
    expect((await res.json()).content).toHaveLength(MAX_MESSAGE_CHARS);
  });

  it('tokens_used past the int4 column is 422 (it was a 500 from the database); the largest int4 is saved', async () => {
    const id = await newConversation();
    await expect422(
      await api('POST', `/conversations/${id}/messages`, { role: 'assistant', content: 'c', tokens_used: MAX_TOKENS_USED + 1 }),
      [
        {
          type: 'less_than_equal',
          loc: ['body', 'tokens_used'],
          msg: `Input should be less than or equal to ${MAX_TOKENS_USED}`,
          input: MAX_TOKENS_USED + 1,
          ctx: { le: MAX_TOKENS_USED },
        },
      ],
    );
    const res = await api('POST', `/conversations/${id}/messages`, { role: 'assistant', content: 'c', tokens_used: MAX_TOKENS_USED });
    expect(res.status).toBe(201);
    expect((await res.json()).tokens_used).toBe(MAX_TOKENS_USED);
  });

  describe('over the agent socket', () => {
    const sockets: AgentSocket[] = [];
    afterEach(() => {
      for (const s of sockets.splice(0)) s.ws.terminate();
    });
    const open = async () => {
      const socket = await AgentSocket.open(t.baseUrl, `?token=${user.access_token}`);
      sockets.push(socket);
      return socket;
    };
    const savedFor = () => t.db.message.count({ where: { conversation: { userId: user.id } } });

    it.each([
      ['message', { message: text(MAX_MESSAGE_CHARS + 1) }, 'message'],
      ['a history entry', { message: 'hi', history: [{ role: 'user', content: text(MAX_MESSAGE_CHARS + 1) }] }, 'history.0.content'],
    ])('an over-long %s gets an error event, nothing is saved, and the socket takes the next turn', async (_, frame, path) => {
      const socket = await open();
      const savedBefore = await savedFor();
      const requestsBefore = fake.requests.length;
      expect(await socket.turn(frame)).toEqual([
        { type: 'error', data: { message: `Invalid message frame: ${path}: String should have at most ${MAX_MESSAGE_CHARS} characters` } },
      ]);
      expect(await savedFor()).toBe(savedBefore);
      expect(fake.requests).toHaveLength(requestsBefore); // the model was not asked

      const next = await socket.turn({ message: 'still there?' });
      expect(next.at(-1)?.type).toBe('complete');
    });

    it('a message and a history entry of exactly the limit are taken', async () => {
      const socket = await open();
      const limit = text(MAX_MESSAGE_CHARS);
      const events = await socket.turn({ message: limit, history: [{ role: 'user', content: limit }] });
      expect(events.at(-1)?.type).toBe('complete');
      expect(events.find((e) => e.type === 'user_prompt')).toEqual({ type: 'user_prompt', data: { content: limit } });
    });
  });
});

describe('descriptions: 10,000 characters', () => {
  it('items: create and update refuse one character more with 422; exactly the limit is stored', async () => {
    const over = text(MAX_DESCRIPTION_CHARS + 1);
    await expect422(await api('POST', '/items', { title: 'i', description: over }), [
      tooLong(['body', 'description'], over, MAX_DESCRIPTION_CHARS),
    ]);
    const created = await api('POST', '/items', { title: 'i', description: text(MAX_DESCRIPTION_CHARS) });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    await expect422(await api('PATCH', `/items/${id}`, { description: over }), [
      tooLong(['body', 'description'], over, MAX_DESCRIPTION_CHARS),
    ]);
    expect((await t.db.item.findUniqueOrThrow({ where: { id } })).description).toHaveLength(MAX_DESCRIPTION_CHARS);
  });

  it('webhooks: create and update refuse one character more with 422; exactly the limit is stored', async () => {
    const over = text(MAX_DESCRIPTION_CHARS + 1);
    await expect422(await webhook({ description: over }), [tooLong(['body', 'description'], over, MAX_DESCRIPTION_CHARS)]);
    const created = await webhook({ description: text(MAX_DESCRIPTION_CHARS) });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    await expect422(await api('PATCH', `/webhooks/${id}`, { description: over }), [
      tooLong(['body', 'description'], over, MAX_DESCRIPTION_CHARS),
    ]);
    expect((await t.db.webhook.findUniqueOrThrow({ where: { id } })).description).toHaveLength(MAX_DESCRIPTION_CHARS);
  });

  it('over tRPC the same bound refuses, in the same words', async () => {
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${t.baseUrl}/trpc`, headers: () => user.auth })] });
    const error = await client.items.create.mutate({ title: 'i', description: text(MAX_DESCRIPTION_CHARS + 1) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { code: 'BAD_REQUEST' } });
    expect(String((error as Error).message)).toContain(`String should have at most ${MAX_DESCRIPTION_CHARS} characters`);
  });
});

describe('webhook events: names of 100 characters, 50 of them', () => {
  it('an event name one character longer is 422 at its index; exactly the limit is stored', async () => {
    const over = text(MAX_EVENT_NAME_CHARS + 1);
    await expect422(await webhook({ events: ['item.created', over] }), [tooLong(['body', 'events', 1], over, MAX_EVENT_NAME_CHARS)]);
    const res = await webhook({ events: [text(MAX_EVENT_NAME_CHARS)] });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    await expect422(await api('PATCH', `/webhooks/${id}`, { events: [over] }), [
      tooLong(['body', 'events', 0], over, MAX_EVENT_NAME_CHARS),
    ]);
  });

  it('one event more than 50 is 422 (too_long); exactly 50 are stored', async () => {
    const events = (n: number) => Array.from({ length: n }, (_, i) => `custom.event${i}`);
    const over = events(MAX_WEBHOOK_EVENTS + 1);
    await expect422(await webhook({ events: over }), [
      {
        type: 'too_long',
        loc: ['body', 'events'],
        msg: `List should have at most ${MAX_WEBHOOK_EVENTS} items after validation, not ${MAX_WEBHOOK_EVENTS + 1}`,
        input: over,
        ctx: { field_type: 'List', max_length: MAX_WEBHOOK_EVENTS, actual_length: MAX_WEBHOOK_EVENTS + 1 },
      },
    ]);
    const res = await webhook({ events: events(MAX_WEBHOOK_EVENTS) });
    expect(res.status).toBe(201);
    expect((await res.json()).events).toHaveLength(MAX_WEBHOOK_EVENTS);
  });
});

describe('credentials: login fields of 1,024 characters, refresh tokens of 4,096', () => {
  const loginForm = (fields: Record<string, string>) =>
    fetch(`${t.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it.each(['username', 'password', 'scope', 'client_id', 'client_secret'])(
    'login %s: one character more is 422; exactly the limit is checked as usual (401)',
    async (field) => {
      const base = { username: 'nobody@example.com', password: 'wrong password' };
      const over = text(MAX_LOGIN_FIELD_CHARS + 1);
      await expect422(await loginForm({ ...base, [field]: over }), [tooLong(['body', field], over, MAX_LOGIN_FIELD_CHARS)]);
      const res = await loginForm({ ...base, [field]: text(MAX_LOGIN_FIELD_CHARS) });
      expect(res.status).toBe(401);
    },
  );

  it('refresh and logout: a refresh_token one character longer is 422; exactly the limit is checked as usual (401)', async () => {
    const over = text(MAX_TOKEN_CHARS + 1);
    for (const path of ['/auth/refresh', '/auth/logout']) {
      await expect422(await api('POST', path, { refresh_token: over }), [tooLong(['body', 'refresh_token'], over, MAX_TOKEN_CHARS)]);
    }
    expect((await api('POST', '/auth/refresh', { refresh_token: text(MAX_TOKEN_CHARS) })).status).toBe(401);
  });
});
