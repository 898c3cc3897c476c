// Google sign-in end to end: the API (arctic as the OAuth client) against a fake provider on
// 127.0.0.1 whose token endpoint checks what Google checks: client credentials, single-use codes,
// redirect_uri and the PKCE verifier against the S256 challenge.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@personal-automations/testing';
import { buildApp } from '../src/app.ts';
import { login, signUp, type TestApp, testSettings } from './helpers.ts';

const CLIENT_ID = 'test-client.apps.example';
const CLIENT_SECRET = 'test-client-secret';
const REDIRECT_URI = 'http://localhost:8000/api/v1/oauth/google/callback';
const FRONTEND = 'http://frontend.test';
const BROWSER = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36' };
const BROWSER_IP = '203.0.113.7';

type Profile = { sub: string; email?: string; email_verified?: boolean; name?: string };
type Grant = { challenge: string; redirectUri: string; profile: Profile };

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Google's side: the consent step as a method, the token and userinfo endpoints over HTTP. */
class FakeGoogle {
  baseUrl = '';
  userinfoFails = false;
  private server: Server | undefined;
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, Profile>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => send(res, 500, { error: 'server_error' }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** What happens on Google's consent page the API redirected to: a one-time code for this profile. */
  consent(authorizationUrl: string, profile: Profile): string {
    const query = new URL(authorizationUrl).searchParams;
    if (query.get('client_id') !== CLIENT_ID || query.get('response_type') !== 'code' || query.get('code_challenge_method') !== 'S256') {
      throw new Error(`not an authorization request this provider accepts: ${authorizationUrl}`);
    }
    const code = randomBytes(16).toString('hex');
    this.grants.set(code, { challenge: query.get('code_challenge')!, redirectUri: query.get('redirect_uri')!, profile });
    return code;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', this.baseUrl);
    if (req.method === 'POST' && pathname === '/token') return this.token(req, res);
    if (req.method === 'GET' && pathname === '/userinfo') return this.userinfo(req, res);
    send(res, 404, { error: 'not_found' });
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = new URLSearchParams(await readBody(req));
    const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
    if (req.headers.authorization !== basic) return send(res, 401, { error: 'invalid_client' });
    const code = body.get('code') ?? '';
    const grant = this.grants.get(code);
    this.grants.delete(code); // codes are single-use, even when the exchange fails
    const challenge = createHash('sha256')
      .update(body.get('code_verifier') ?? '')
      .digest('base64url');
    const valid =
      body.get('grant_type') === 'authorization_code' &&
      grant &&
      body.get('redirect_uri') === grant.redirectUri &&
      challenge === grant.challenge;
    if (!valid) return send(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
    const accessToken = randomBytes(16).toString('hex');
    this.accessTokens.set(accessToken, grant.profile);
    send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3599, scope: 'openid email profile' });
  }

  private userinfo(req: IncomingMessage, res: ServerResponse): void {
    if (this.userinfoFails) {
      send(res, 503, { error: 'unavailable' });
      return;
    }
    const profile = this.accessTokens.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '');
    if (!profile) {
      send(res, 401, { error: 'invalid_token' });
      return;
    }
    send(res, 200, profile);
  }
}

const google = new FakeGoogle();
const database = useTestDatabase();
const t = { baseUrl: '' } as TestApp;

const googleSettings = () => ({
  GOOGLE_CLIENT_ID: CLIENT_ID,
  GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
  GOOGLE_REDIRECT_URI: REDIRECT_URI,
  GOOGLE_AUTH_URL: `${google.baseUrl}/auth`,
  GOOGLE_TOKEN_URL: `${google.baseUrl}/token`,
  GOOGLE_USERINFO_URL: `${google.baseUrl}/userinfo`,
  FRONTEND_URL: FRONTEND,
});

beforeAll(async () => {
  await google.start();
  t.databaseUrl = database.url;
  t.settings = testSettings(database.url, googleSettings());
  t.app = await buildApp({ settings: t.settings });
  t.db = t.app.platform.db;
});
afterAll(async () => {
  await t.app?.close();
  await google.stop();
});

/** GET /oauth/google/login: Google's URL and the flow cookie (`name=value`) the browser keeps. */
async function startLogin() {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/oauth/google/login', headers: BROWSER });
  expect(res.statusCode).toBe(302);
  expect(res.body).toBe('');
  const setCookie = String(res.headers['set-cookie']);
  const location = String(res.headers.location);
  return { res, location, setCookie, cookie: setCookie.split(';')[0]!, state: new URL(location).searchParams.get('state')! };
}

/** GET /oauth/google/callback as the browser sends it; always a bodiless 302 (never a 500). */
async function callback(query: Record<string, string>, cookie?: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/oauth/google/callback?${new URLSearchParams(query)}`,
    headers: { ...BROWSER, ...(cookie ? { cookie } : {}) },
    remoteAddress: BROWSER_IP,
  });
  expect(res.statusCode).toBe(302);
  expect(res.body).toBe('');
  expect(res.headers['cache-control']).toBe('no-store'); // the location may carry the tokens
  return { res, location: new URL(String(res.headers.location)) };
}

/** The whole round trip: login, consent at Google with `profile`, callback. */
async function signInWithGoogle(profile: Profile) {
  const { location, cookie, state } = await startLogin();
  const code = google.consent(location, profile);
  return callback({ code, state, scope: 'openid email profile', authuser: '0' }, cookie);
}

function tokensFrom(location: URL) {
  expect(`${location.origin}${location.pathname}`).toBe(`${FRONTEND}/auth/callback`);
  return { access_token: location.searchParams.get('access_token')!, refresh_token: location.searchParams.get('refresh_token')! };
}

function errorFrom(location: URL): string | null {
  expect(`${location.origin}${location.pathname}`).toBe(`${FRONTEND}/login`);
  return location.searchParams.get('error');
}

const me = (accessToken: string) =>
  t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${accessToken}` } });
let googleUsers = 0;
const newProfile = (extra: Partial<Profile> = {}): Profile => {
  const n = ++googleUsers;
  return {
    sub: `10876543210${n}${randomBytes(3).toString('hex')}`,
    email: `google${n}-${randomBytes(3).toString('hex')}@example.com`,
    email_verified: true,
    name: `Google User ${n}`,
    ...extra,
  };
};

describe('GET /oauth/google/login', () => {
  it("302 to the provider's authorization endpoint with client_id, redirect_uri, scope, state and an S256 challenge", async () => {
    const { res, location, setCookie, cookie, state } = await startLogin();
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe(`${google.baseUrl}/auth`);
    const query = Object.fromEntries(url.searchParams);
    expect(query).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(res.headers['cache-control']).toBe('no-store');

    // the browser keeps state and verifier in a short-lived httpOnly cookie for the callback path only
    expect(setCookie).toMatch(/^google_oauth_flow=[\w-]+\.[\w-]+; /);
    for (const attribute of ['Path=/api/v1/oauth', 'Max-Age=600', 'HttpOnly', 'SameSite=Lax']) expect(setCookie).toContain(attribute);
    expect(setCookie).not.toContain('Secure'); // only in production
    const [cookieState, verifier] = cookie.slice('google_oauth_flow='.length).split('.');
    expect(cookieState).toBe(state);
    expect(createHash('sha256').update(verifier!).digest('base64url')).toBe(query.code_challenge);

    expect((await startLogin()).state).not.toBe(state);
  });

  it('without GOOGLE_CLIENT_ID: 302 to the frontend login page with "Google OAuth is not configured"', async () => {
    const app = await buildApp({ settings: testSettings(database.url, { ...googleSettings(), GOOGLE_CLIENT_ID: '' }) });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/oauth/google/login' });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`${FRONTEND}/login?error=Google%20OAuth%20is%20not%20configured`);
      expect(res.headers['set-cookie']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});

describe('GET /oauth/google/callback', () => {
  it('creates a password-less user and a session; the tokens work on /auth/me and /auth/refresh', async () => {
    const profile = newProfile({ name: 'Ada Lovelace' });
    const { res, location } = await signInWithGoogle(profile);
    const tokens = tokensFrom(location);
    expect(res.headers['set-cookie']).toMatch(/^google_oauth_flow=; Path=\/api\/v1\/oauth; Max-Age=0; /); // the flow is spent
    expect(String(res.headers.location)).toContain(`access_token=${encodeURIComponent(tokens.access_token)}&refresh_token=`);

    const current = await me(tokens.access_token);
    expect(current.statusCode).toBe(200);
    expect(current.json()).toMatchObject({
      email: profile.email,
      full_name: 'Ada Lovelace',
      role: 'user',
      is_active: true,
      is_superuser: false,
    });

    const user = await t.db.user.findUniqueOrThrow({ where: { email: profile.email! } });
    expect(user).toMatchObject({ hashedPassword: null, oauthProvider: 'google', oauthId: profile.sub });
    const created = await t.db.outboxEvent.findMany({ where: { eventType: 'user.created' } });
    expect(created.some((event) => (event.payload as { id?: string }).id === user.id)).toBe(true);
    const [session, ...others] = await t.db.session.findMany({ where: { userId: user.id } });
    expect(others).toHaveLength(0);
    expect(session).toMatchObject({ isActive: true, ipAddress: BROWSER_IP, userAgent: BROWSER['user-agent'] });
    expect(session!.deviceName).toBeTruthy();

    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tokens.refresh_token } });
    expect(refreshed.statusCode).toBe(200);
    expect((await me(refreshed.json().access_token)).json().id).toBe(user.id);
  });

  it('a second sign-in with the same Google account finds the same user, even after its email changed at Google', async () => {
    const profile = newProfile();
    const first = (await me(tokensFrom((await signInWithGoogle(profile)).location).access_token)).json();
    const again = await signInWithGoogle({ ...profile, email: `renamed-${profile.email}` });
    const second = (await me(tokensFrom(again.location).access_token)).json();
    expect(second.id).toBe(first.id);
    expect(second.email).toBe(profile.email);
    expect(await t.db.user.count({ where: { oauthId: profile.sub } })).toBe(1);
  });

  it('does not link an existing password account with the same verified email: account_exists, nothing changes', async () => {
    // Whoever registered the email first with a password of their own must not share the
    // account its real owner later signs into with Google (pre-account hijacking).
    const existing = await signUp(t);
    const before = await t.db.user.findUniqueOrThrow({ where: { id: existing.id } });
    const { res } = await signInWithGoogle(newProfile({ email: existing.email }));
    expect(res.headers.location).toBe(`${FRONTEND}/login?error=account_exists`);
    expect(await t.db.user.findUniqueOrThrow({ where: { id: existing.id } })).toEqual(before);
    expect(await t.db.session.count({ where: { userId: existing.id } })).toBe(1); // the password login's only
  });

  it('with OAUTH_LINK_EXISTING_ACCOUNTS=true, links it; the password still works', async () => {
    const linking = await buildApp({ settings: testSettings(database.url, { ...googleSettings(), OAUTH_LINK_EXISTING_ACCOUNTS: 'true' }) });
    const [app, db] = [t.app, t.db];
    [t.app, t.db] = [linking, linking.platform.db];
    try {
      const existing = await signUp(t);
      const { location } = await signInWithGoogle(newProfile({ email: existing.email }));
      expect((await me(tokensFrom(location).access_token)).json().id).toBe(existing.id);
      const user = await t.db.user.findUniqueOrThrow({ where: { id: existing.id } });
      expect(user.oauthProvider).toBe('google');
      expect(user.oauthId).toMatch(/^10876543210/);
      expect(user.hashedPassword).not.toBeNull();
      await login(t, existing.email, existing.password);
    } finally {
      [t.app, t.db] = [app, db];
      await linking.close();
    }
  });

  it('an unverified email never links an existing account: failure redirect, account unchanged', async () => {
    const existing = await signUp(t);
    const profile = newProfile({ email: existing.email, email_verified: false });
    const { location } = await signInWithGoogle(profile);
    expect(errorFrom(location)).toBe('Email already registered and not verified by the provider');
    const user = await t.db.user.findUniqueOrThrow({ where: { id: existing.id } });
    expect(user).toMatchObject({ oauthProvider: null, oauthId: null });
    expect(await t.db.user.count({ where: { oauthId: profile.sub } })).toBe(0);
  });

  it('an unverified email that no account has yet gets a new account', async () => {
    const profile = newProfile({ email_verified: false });
    const { location } = await signInWithGoogle(profile);
    expect((await me(tokensFrom(location).access_token)).json().email).toBe(profile.email);
  });

  it('a state that is wrong, missing, or from another login → failure redirect, no user created', async () => {
    const profile = newProfile();
    const first = await startLogin();
    const code = google.consent(first.location, profile);
    const second = await startLogin();
    const attempts: Array<[Record<string, string>, string | undefined]> = [
      [{ code, state: 'forged-state' }, first.cookie],
      [{ code }, first.cookie],
      [{ code, state: first.state }, undefined],
      [{ code, state: first.state }, second.cookie],
      [{ code, state: first.state }, 'google_oauth_flow=garbage'],
    ];
    for (const [query, cookie] of attempts) {
      const { location } = await callback(query, cookie);
      expect(errorFrom(location)).toBe('Invalid or expired OAuth state');
    }
    expect(await t.db.user.count({ where: { email: profile.email! } })).toBe(0);
  });

  it('the provider refusing the code (unknown, replayed, or a verifier that does not match) → failure redirect', async () => {
    const unknown = await startLogin();
    expect(errorFrom((await callback({ code: 'not-a-code', state: unknown.state }, unknown.cookie)).location)).toBe(
      'Google sign-in failed: invalid_grant',
    );

    const profile = newProfile();
    const flow = await startLogin();
    const code = google.consent(flow.location, profile);
    const wrongVerifier = `google_oauth_flow=${flow.state}.${randomBytes(32).toString('base64url')}`;
    expect(errorFrom((await callback({ code, state: flow.state }, wrongVerifier)).location)).toBe('Google sign-in failed: invalid_grant');
    // the code was spent by that attempt: the right verifier cannot use it any more
    expect(errorFrom((await callback({ code, state: flow.state }, flow.cookie)).location)).toBe('Google sign-in failed: invalid_grant');
    expect(await t.db.user.count({ where: { email: profile.email! } })).toBe(0);
  });

  it('the user cancelling at Google → failure redirect', async () => {
    const flow = await startLogin();
    const { location } = await callback({ error: 'access_denied', state: flow.state }, flow.cookie);
    expect(errorFrom(location)).toBe('Google sign-in was cancelled');
  });

  it('a disabled user, found by Google id or by email, is refused with "User account is disabled" (and not linked)', async () => {
    const profile = newProfile();
    await signInWithGoogle(profile);
    await t.db.user.update({ where: { email: profile.email! }, data: { isActive: false } });
    const { location, res } = await signInWithGoogle(profile);
    expect(res.headers.location).toBe(`${FRONTEND}/login?error=User%20account%20is%20disabled`);
    expect(errorFrom(location)).toBe('User account is disabled');

    const existing = await signUp(t);
    await t.db.user.update({ where: { id: existing.id }, data: { isActive: false } });
    expect(errorFrom((await signInWithGoogle(newProfile({ email: existing.email }))).location)).toBe('User account is disabled');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: existing.id } })).oauthId).toBeNull();
  });

  it('userinfo failing, or without an email → "Failed to get user info from Google"', async () => {
    google.userinfoFails = true;
    try {
      expect(errorFrom((await signInWithGoogle(newProfile())).location)).toBe('Failed to get user info from Google');
    } finally {
      google.userinfoFails = false;
    }
    const { email: _email, ...withoutEmail } = newProfile();
    expect(errorFrom((await signInWithGoogle(withoutEmail)).location)).toBe('Failed to get user info from Google');
  });
});
