// An open agent socket ends with its login (contract 7.1): every way a session is revoked closes
// it with 4001 within 1 s, on whichever API process holds it; so does the expiry of its access
// token; and every turn re-checks the session before anything of it is saved. A refresh rotates
// a session without revoking it and leaves the socket open.

import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '@personal-automations/services';
import { FAKE_API_KEY, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket, type Closed } from './agent-socket.ts';
import { embedded, json, login, type SignedUp, signUp, testSettings, useTestApp } from './helpers.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
const AI = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY };
const t = useTestApp(AI);
afterEach(() => fake.reset());

const sockets: AgentSocket[] = [];
async function open(token: string, server = t.baseUrl): Promise<AgentSocket> {
  const socket = await AgentSocket.open(server, `?token=${token}`);
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

/** The requirement: closed within 1 s of the revocation's answer. */
const REVOCATION_DEADLINE_MS = 1000;
/** How long a test waits for a close at all, so a socket that never closes fails instead of hanging. */
const GIVE_UP_MS = 5000;

type Timed = Closed & { afterMs: number };

/** The socket's close, or a failure after GIVE_UP_MS. */
function untilClosed(socket: AgentSocket): Promise<Closed> {
  const giveUp = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the socket was not closed')), GIVE_UP_MS).unref());
  return Promise.race([socket.closed, giveUp]);
}

/** Runs `revoke`, then waits for the socket to close; `afterMs` counts from the revocation's answer. */
async function closedBy(socket: AgentSocket, revoke: () => Promise<void>): Promise<Timed> {
  let closedAt = 0;
  void socket.closed.then(() => (closedAt = performance.now()));
  await revoke();
  const answeredAt = performance.now();
  const result = await untilClosed(socket);
  return { ...result, afterMs: Math.max(0, closedAt - answeredAt) };
}

const expectSessionEnded = (closed: Timed, reason = 'Session revoked') => {
  expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason });
  expect(closed.afterMs).toBeLessThanOrEqual(REVOCATION_DEADLINE_MS);
};

/** A turn that completes: the socket is open and its login still holds. */
async function expectUsable(socket: AgentSocket) {
  expect((await socket.turn({ message: 'still there?' })).at(-1)?.type).toBe('complete');
}

const sessionOf = (accessToken: string) => String(decodeJwt(accessToken).sid);
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${t.baseUrl}/api/v1${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined && json) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** A request that must answer `status`. */
const answers = (status: number, request: () => Promise<Response>) => async () => {
  const res = await request();
  expect(res.status, await res.text()).toBe(status);
};

let admin: SignedUp;
beforeAll(async () => {
  admin = await signUp(t, { role: 'admin' });
});

describe('a revoked session closes its socket with 4001 within 1 s', () => {
  it('logout', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    expectSessionEnded(
      await closedBy(
        socket,
        answers(204, () => call('POST', '/auth/logout', {}, { refresh_token: user.refresh_token })),
      ),
    );
  });

  it('DELETE /sessions/{id}, from another login of the same user', async () => {
    const user = await signUp(t);
    const other = await login(t, user.email, user.password);
    const socket = await open(user.access_token);
    const otherSocket = await open(other.access_token);
    expectSessionEnded(
      await closedBy(
        socket,
        answers(204, () => call('DELETE', `/sessions/${sessionOf(user.access_token)}`, bearer(other.access_token))),
      ),
    );
    await expectUsable(otherSocket);
  });

  it('DELETE /sessions closes every socket of the user', async () => {
    const user = await signUp(t);
    const other = await login(t, user.email, user.password);
    const [first, second] = [await open(user.access_token), await open(other.access_token)];
    expectSessionEnded(
      await closedBy(
        first,
        answers(200, () => call('DELETE', '/sessions', user.auth)),
      ),
    );
    expect((await untilClosed(second)).code).toBe(4001);
  });

  it('refresh-token reuse revokes the chain; the rotation before it did not close the socket', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    const rotated = await call('POST', '/auth/refresh', {}, { refresh_token: user.refresh_token });
    expect(rotated.status).toBe(200);
    await expectUsable(socket);
    // the replay is refused (401), and revokes every session of the login's chain
    expectSessionEnded(
      await closedBy(
        socket,
        answers(401, () => call('POST', '/auth/refresh', {}, { refresh_token: user.refresh_token })),
      ),
    );
  });

  it("a password change (PATCH /users/me) closes the user's other sockets; the caller's stays", async () => {
    const user = await signUp(t);
    const other = await login(t, user.email, user.password);
    const socket = await open(user.access_token);
    const callerSocket = await open(other.access_token);
    expectSessionEnded(
      await closedBy(
        socket,
        answers(200, () => call('PATCH', '/users/me', bearer(other.access_token), { password: 'a brand new password' })),
      ),
    );
    await expectUsable(callerSocket);
  });

  it('deactivation by an admin', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    expectSessionEnded(
      await closedBy(
        socket,
        answers(200, () => call('PATCH', `/users/${user.id}`, admin.auth, { is_active: false })),
      ),
    );
  });

  it('deletion by an admin', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    expectSessionEnded(
      await closedBy(
        socket,
        answers(204, () => call('DELETE', `/users/${user.id}`, admin.auth)),
      ),
    );
  });
});

describe('the socket of a login that still holds', () => {
  it('a refresh (rotation, not revocation) leaves it open and usable', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    const rotated = await call('POST', '/auth/refresh', {}, { refresh_token: user.refresh_token });
    expect(rotated.status).toBe(200);
    // a revocation of someone else's session is heard too, and passed over
    const stranger = await signUp(t);
    await call('POST', '/auth/logout', {}, { refresh_token: stranger.refresh_token });
    await expectUsable(socket);
    await expectUsable(socket);
  });
});

describe('token expiry', () => {
  it("closes the socket with 4001 within 1 s of the access token's exp", async () => {
    const user = await signUp(t);
    // A token as the API signs them, but valid for 2 seconds (ACCESS_TOKEN_EXPIRE_MINUTES counts whole minutes).
    const shortLived = new TokenService({ secretKey: t.settings.SECRET_KEY, accessTokenMinutes: 2 / 60, refreshTokenMinutes: 1 });
    const token = await shortLived.createAccessToken(user.id, sessionOf(user.access_token));
    const expiresAtMs = Number(decodeJwt(token).exp) * 1000;
    const socket = await open(token);
    const closed = await untilClosed(socket);
    const closedAt = Date.now();
    expect(closed).toEqual({ code: 4001, reason: 'Token expired' });
    expect(closedAt).toBeGreaterThanOrEqual(expiresAtMs - 20); // never before exp (clock rounding aside)
    expect(closedAt - expiresAtMs).toBeLessThanOrEqual(REVOCATION_DEADLINE_MS);
  });
});

describe('every turn re-checks its session first', () => {
  const savedMessages = (userId: string) => t.db.message.count({ where: { conversation: { userId } } });

  it('a session revoked behind the news (in the database only): the next turn closes the socket, nothing is saved', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    await expectUsable(socket);
    await t.db.session.update({ where: { id: sessionOf(user.access_token) }, data: { isActive: false, revokedAt: new Date() } });
    const before = { messages: await savedMessages(user.id), requests: fake.requests.length };
    socket.send({ message: 'one more' });
    expect(await untilClosed(socket)).toEqual({ code: 4001, reason: 'Invalid or expired token' });
    expect(socket.events.at(-1)?.type).toBe('complete'); // no event of the refused turn
    expect({ messages: await savedMessages(user.id), requests: fake.requests.length }).toEqual(before);
  });

  it('a user disabled in the database: the next turn closes the socket with the reason', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token);
    await expectUsable(socket);
    await t.db.user.update({ where: { id: user.id }, data: { isActive: false } });
    const before = { messages: await savedMessages(user.id), requests: fake.requests.length };
    socket.send({ message: 'hello' });
    expect(await untilClosed(socket)).toEqual({ code: 4001, reason: 'User account is disabled' });
    expect(socket.events.at(-1)?.type).toBe('complete');
    expect({ messages: await savedMessages(user.id), requests: fake.requests.length }).toEqual(before);
  });
});

describe.skipIf(embedded)('two API processes on one database and Redis', () => {
  let other: FastifyInstance;
  let otherUrl: string;
  beforeAll(async () => {
    other = await buildApp({ settings: testSettings(t.databaseUrl, AI) });
    await other.listen({ host: '127.0.0.1', port: 0 });
    otherUrl = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}`;
  });
  afterAll(() => other?.close());

  it('a revocation answered by one process closes the socket the other holds, within 1 s', async () => {
    const user = await signUp(t);
    const socket = await open(user.access_token, otherUrl);
    await expectUsable(socket); // the connection is open, so its process has subscribed to the news
    await other.platform.services.revocations.listen();
    expectSessionEnded(
      await closedBy(
        socket,
        answers(200, () => call('DELETE', '/sessions', user.auth)),
      ),
    );
  });
});
