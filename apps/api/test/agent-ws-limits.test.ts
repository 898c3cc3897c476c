// The per-user counts that bound agent spend, shared by every API process (Redis) or per process
// (embedded): turns per minute (AGENT_TURNS_PER_MINUTE, on the shared rate limiter) and open
// sockets (AGENT_MAX_SOCKETS_PER_USER). A refused turn leaves nothing behind and the socket
// usable; a socket over the cap is told why and closed with 4029.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '@personal-automations/contracts';
import { FAKE_API_KEY, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket, type Closed } from './agent-socket.ts';
import { embedded, type SignedUp, signUp, type TestApp, testSettings, useTestApp } from './helpers.ts';
import { dropProjectKeys } from './rate-limit-support.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
const AI = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY };
// A PROJECT_NAME of its own: counters and socket sets no other run sees, removed at the end.
// The request budgets are out of the way; a minute-long turn window never ends during the file.
const PROJECT_NAME = `agent-limits-test-${randomUUID()}`;
const LIMITS = {
  ...AI,
  PROJECT_NAME,
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_REQUESTS: '100000',
  RATE_LIMIT_AUTH_REQUESTS: '100000',
  AGENT_TURNS_PER_MINUTE: '2',
  AGENT_MAX_SOCKETS_PER_USER: '2',
};
const t = useTestApp(LIMITS);
afterEach(() => fake.reset());

const apps: FastifyInstance[] = [];
/** Another API process on the same database (and Redis), listening; returns its base URL. */
async function anotherProcess(overrides: Record<string, string> = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({ settings: testSettings(t.databaseUrl, { ...LIMITS, ...overrides }) });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await dropProjectKeys(t, PROJECT_NAME);
});

const sockets: AgentSocket[] = [];
async function open(user: SignedUp, server = t.baseUrl): Promise<AgentSocket> {
  const socket = await AgentSocket.open(server, `?token=${user.access_token}`);
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

const GIVE_UP_MS = 5000;
function untilClosed(socket: AgentSocket): Promise<Closed> {
  const giveUp = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the socket was not closed')), GIVE_UP_MS).unref());
  return Promise.race([socket.closed, giveUp]);
}

/** The connection is open and reads frames: an empty message is answered with an error event. */
async function expectServed(socket: AgentSocket) {
  socket.send({ message: '' });
  expect(await socket.next()).toEqual({ type: 'error', data: { message: 'Empty message' } });
}

const TURNS_EXCEEDED = /^Too many agent turns: at most 2 per minute; try again in \d+ seconds$/;
const refusedTurn = (events: AgentEvent[]) => {
  expect(events).toEqual([{ type: 'error', data: { message: expect.stringMatching(TURNS_EXCEEDED) } }]);
};
const savedOf = async (user: SignedUp) => ({
  conversations: await t.db.conversation.count({ where: { userId: user.id } }),
  messages: await t.db.message.count({ where: { conversation: { userId: user.id } } }),
});

describe('turns per user per minute (AGENT_TURNS_PER_MINUTE)', () => {
  it('a turn over the budget gets an error event; nothing of it is saved; the socket stays usable', async () => {
    const user = await signUp(t);
    const socket = await open(user);
    for (const message of ['one', 'two']) expect((await socket.turn({ message })).at(-1)?.type).toBe('complete');
    const before = { saved: await savedOf(user), requests: fake.requests.length };

    refusedTurn(await socket.turn({ message: 'three' }));
    expect({ saved: await savedOf(user), requests: fake.requests.length }).toEqual(before);
    await expectServed(socket);

    // the budget is the user's, not the socket's: a new socket's first turn is refused too, and creates no conversation
    const fresh = await open(user);
    refusedTurn(await fresh.turn({ message: 'elsewhere' }));
    expect({ saved: await savedOf(user), requests: fake.requests.length }).toEqual(before);

    // another user has a budget of their own
    const other = await signUp(t);
    expect((await (await open(other)).turn({ message: 'mine' })).at(-1)?.type).toBe('complete');
  });

  it.skipIf(embedded)('every API process draws on the same budget', async () => {
    const twin = await anotherProcess();
    const user = await signUp(t);
    expect((await (await open(user)).turn({ message: 'here' })).at(-1)?.type).toBe('complete');
    const there = await open(user, twin.url);
    expect((await there.turn({ message: 'there' })).at(-1)?.type).toBe('complete');
    refusedTurn(await there.turn({ message: 'and again' }));
  });
});

describe('open sockets per user (AGENT_MAX_SOCKETS_PER_USER)', () => {
  const SOCKET_LIMIT_EVENT = {
    type: 'error',
    data: { message: 'Too many open agent sockets: at most 2 per user; close one and try again' },
  };
  const SOCKET_LIMIT_CLOSE = { code: 4029, reason: 'Too many agent sockets' };

  async function expectRefused(socket: AgentSocket) {
    expect(await untilClosed(socket)).toEqual(SOCKET_LIMIT_CLOSE);
    expect(socket.events).toEqual([SOCKET_LIMIT_EVENT]);
  }

  /** Opens sockets until one is served: the server frees a closed socket's slot right after the close. */
  async function openOnceFree(user: SignedUp): Promise<AgentSocket> {
    const deadline = Date.now() + GIVE_UP_MS;
    for (;;) {
      const socket = await open(user);
      const first = await socket.turn({ message: '' }).catch(() => []);
      if (first[0]?.type === 'error' && first[0].data.message === 'Empty message') return socket;
      if (Date.now() > deadline) throw new Error(`no slot was freed: ${JSON.stringify(first)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('one socket too many is told why and closed with 4029; others are unaffected; a closed socket frees its slot', async () => {
    const user = await signUp(t);
    const [first, second] = [await open(user), await open(user)];
    await expectServed(first);
    await expectServed(second);
    await expectRefused(await open(user));
    await expectServed(first); // the sockets already open go on

    const other = await signUp(t);
    await expectServed(await open(other));

    first.ws.close();
    await untilClosed(first);
    await openOnceFree(user);
    await expectRefused(await open(user));
  });

  it.skipIf(embedded)('counted across API processes', async () => {
    const twin = await anotherProcess();
    const user = await signUp(t);
    await expectServed(await open(user));
    await expectServed(await open(user, twin.url));
    await expectRefused(await open(user, twin.url));
    await expectRefused(await open(user));
  });

  it('Redis unreachable: sockets are not refused', async () => {
    const outage = await anotherProcess({
      REDIS_URL: 'redis://127.0.0.1:1/0',
      RATE_LIMIT_ENABLED: 'false',
      AGENT_MAX_SOCKETS_PER_USER: '1',
    });
    const user = await signUp({ app: outage.app, db: outage.app.platform.db } as TestApp);
    for (let i = 0; i < 3; i++) await expectServed(await open(user, outage.url));
  });
});
