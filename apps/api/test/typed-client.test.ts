// The typed client against the real API: login keeps the tokens, an expired access token is
// refreshed once (shared by concurrent calls) and the call retried, a dead refresh token clears them.
import type { AddressInfo } from 'node:net';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ApiClient,
  type ApiClientError,
  type ClientOptions,
  createClient,
  isUnauthorized,
  type Tokens,
  TRPCClientError,
} from '@personal-automations/client';
import { loadSettings, readEnvFile, type Settings } from '@personal-automations/config';
import { useTestDatabase } from '@personal-automations/testing';
import { buildApp } from '../src/app.ts';

const database = useTestDatabase();
let app: Awaited<ReturnType<typeof buildApp>>;
let settings: Settings;
let url = '';

beforeAll(async () => {
  settings = loadSettings({
    ...readEnvFile(),
    ...process.env,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ENABLED: 'false',
  });
  app = await buildApp({ settings });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
});

/** A client that records the tokens it reports and the procedures each HTTP request carried. */
function recordingClient(options: Omit<ClientOptions, 'url'> = {}) {
  const reported: (Tokens | null)[] = [];
  const requests: string[] = [];
  const client: ApiClient = createClient({
    url,
    ...options,
    onTokens: (tokens) => reported.push(tokens),
    fetch: (input, init) => {
      requests.push(decodeURIComponent(new URL(String(input)).pathname.replace(/^\/trpc\//, '')));
      return fetch(input, init);
    },
  });
  return { client, reported, requests };
}

let counter = 0;
async function registeredUser() {
  const email = `client${++counter}-${Date.now()}@example.com`;
  const password = 'client test password';
  const { client } = recordingClient();
  await client.auth.register.mutate({ email, password });
  return { email, password, tokens: await client.auth.login.mutate({ username: email, password }) };
}

/** The user's access token with its expiry moved into the past (same session, so only expiry is wrong). */
async function expired(accessToken: string): Promise<string> {
  const { sub, sid } = decodeJwt(accessToken);
  return new SignJWT({ sub, sid, type: 'access', jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(settings.SECRET_KEY));
}

describe('createClient', () => {
  it('keeps the tokens from a login and sends them; types come from the router', async () => {
    const { email, password } = await registeredUser();
    const { client, reported } = recordingClient();
    const tokens = await client.auth.login.mutate({ username: email, password });
    expect(reported).toEqual([tokens]);
    const me = await client.users.me.query();
    expectTypeOf(me.role).toEqualTypeOf<'admin' | 'user'>();
    expect(me.email).toBe(email);
  });

  it('refreshes an expired access token once for concurrent calls, then retries them', async () => {
    const { email, tokens } = await registeredUser();
    const { client, reported, requests } = recordingClient({
      token: { access_token: await expired(tokens.access_token), refresh_token: tokens.refresh_token },
    });

    // Were the refresh token presented twice, the second use would count as reuse and revoke the login.
    const [me, sessions, page] = await Promise.all([
      client.users.me.query(),
      client.sessions.list.query(),
      client.items.list.query({ page: 1, size: 5 }),
    ]);
    expect(me.email).toBe(email);
    expect(sessions.total).toBe(1);
    expect(page.page).toBe(1);
    expect(requests.filter((r) => r === 'auth.refresh')).toHaveLength(1);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.refresh_token).not.toBe(tokens.refresh_token);

    // The old refresh token was rotated away; the renewed pair keeps working.
    const stale = await recordingClient()
      .client.auth.refresh.mutate({ refresh_token: tokens.refresh_token })
      .catch((e: unknown) => e);
    expect(isUnauthorized(stale)).toBe(true);
  });

  it('a refresh token that no longer works: the original 401 surfaces and the tokens are dropped', async () => {
    const { tokens } = await registeredUser();
    const { client, reported } = recordingClient({
      token: { access_token: await expired(tokens.access_token), refresh_token: 'not-a-refresh-token' },
    });
    const error = await client.users.me.query().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as ApiClientError).data?.httpStatus).toBe(401);
    expect(reported).toEqual([null]);
    // With no tokens left, the next call goes out without credentials.
    expect(isUnauthorized(await client.users.me.query().catch((e: unknown) => e))).toBe(true);
  });

  it('no refresh token, or wrong credentials at login: no refresh is attempted', async () => {
    const { email, tokens } = await registeredUser();
    const bare = recordingClient({ token: await expired(tokens.access_token) });
    expect(isUnauthorized(await bare.client.users.me.query().catch((e: unknown) => e))).toBe(true);
    expect(bare.requests).toEqual(['users.me']);

    const wrong = recordingClient({ token: tokens });
    const error = await wrong.client.auth.login.mutate({ username: email, password: 'wrong password!' }).catch((e: unknown) => e);
    expect(isUnauthorized(error)).toBe(true);
    expect(wrong.requests).toEqual(['auth.login']);
    expect(wrong.reported).toEqual([]);
  });

  it('logout drops the tokens', async () => {
    const { tokens } = await registeredUser();
    const { client, reported } = recordingClient({ token: tokens });
    await client.auth.logout.mutate({ refresh_token: tokens.refresh_token });
    expect(reported).toEqual([null]);
    expect(isUnauthorized(await client.users.me.query().catch((e: unknown) => e))).toBe(true);
  });

  it('accepts a bare access token and a base URL with a trailing slash', async () => {
    const { email, tokens } = await registeredUser();
    const client = createClient({ url: `${url}/`, token: tokens.access_token });
    expect((await client.auth.me.query()).email).toBe(email);
  });
});
