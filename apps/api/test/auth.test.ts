// Register, login, tokens, refresh rotation with reuse detection, logout: contract sections 1.3 and 2.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { decodeJwt, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { login, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
const api = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: method as never, url: `/api/v1${url}`, payload: payload as never, headers });
const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  api('POST', '/auth/login', new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const key = () => new TextEncoder().encode(t.settings.SECRET_KEY);
const unique = () => `u${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;

describe('POST /auth/register', () => {
  it('creates an active "user" whatever role is asked for, and never returns the password', async () => {
    const res = await api('POST', '/auth/register', {
      email: `  ${unique()}@Example.COM `,
      password: '  long enough  ',
      full_name: ' Ada ',
      role: 'admin',
    });
    expect(res.statusCode).toBe(201);
    const user = res.json();
    expect(user).toEqual({
      id: expect.any(String),
      email: expect.stringMatching(/^u\w+@example\.com$/),
      full_name: 'Ada',
      is_active: true,
      is_superuser: false,
      role: 'user',
      created_at: expect.stringMatching(/\+00:00$/),
      updated_at: null,
    });
    expect(res.body).not.toMatch(/password|hash/i);
    const row = await t.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.hashedPassword).toMatch(/^\$argon2id\$/);
    const event = await t.db.outboxEvent.findFirst({ where: { eventType: 'user.created', payload: { path: ['id'], equals: user.id } } });
    expect(event?.payload).toMatchObject({ email: user.email });
    expect(JSON.stringify(event?.payload)).not.toMatch(/password|hash/i);
  });

  it('a taken email → 409 with the email in details, nothing created', async () => {
    const email = `${unique()}@example.com`;
    await api('POST', '/auth/register', { email, password: 'password1' });
    const again = await api('POST', '/auth/register', { email, password: 'password2' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: { code: 'ALREADY_EXISTS', message: 'Email already registered', details: { email } } });
    expect(await t.db.user.count({ where: { email } })).toBe(1);
  });

  it('bad input → 422: invalid email, short/long password (after stripping), missing fields, bad role', async () => {
    const cases: [unknown, string, string][] = [
      [{ email: 'not-an-email', password: 'password1' }, 'email', 'value_error'],
      [{ email: 'a@b', password: 'password1' }, 'email', 'value_error'],
      [{ email: `${unique()}@example.com`, password: '   short   ' }, 'password', 'string_too_short'],
      [{ email: `${unique()}@example.com`, password: 'x'.repeat(129) }, 'password', 'string_too_long'],
      [{ password: 'password1' }, 'email', 'missing'],
      [{ email: `${unique()}@example.com`, password: 'password1', role: 'root' }, 'role', 'enum'],
    ];
    for (const [body, field, type] of cases) {
      const res = await api('POST', '/auth/register', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      expect(res.json().detail[0], JSON.stringify(body)).toMatchObject({ type, loc: ['body', field] });
    }
  });
});

describe('POST /auth/login', () => {
  it('form login → token pair; the session records device and IP', async () => {
    const user = await signUp(t);
    const res = await form(
      { username: user.email, password: user.password },
      { 'user-agent': 'Mozilla/5.0 (Linux; Android 14) Chrome/120 Mobile Safari/537.36' },
    );
    expect(res.statusCode).toBe(200);
    const tokens = res.json();
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'refresh_token', 'token_type']);
    expect(tokens.token_type).toBe('bearer');
    const access = decodeJwt(tokens.access_token);
    const session = await t.db.session.findUniqueOrThrow({ where: { id: access.sid as string } });
    expect(session).toMatchObject({ userId: user.id, deviceName: 'Chrome', deviceType: 'mobile', ipAddress: '127.0.0.1', isActive: true });
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBeCloseTo(t.settings.REFRESH_TOKEN_EXPIRE_MINUTES * 60_000, -4);
  });

  it('multipart form works too; JSON is 422 (username and password missing)', async () => {
    const user = await signUp(t);
    const boundary = 'XyZ';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="username"',
      '',
      user.email,
      `--${boundary}`,
      'Content-Disposition: form-data; name="password"',
      '',
      user.password,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const multi = await api('POST', '/auth/login', body, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(multi.statusCode).toBe(200);
    const asJson = await api('POST', '/auth/login', { username: user.email, password: user.password });
    expect(asJson.statusCode).toBe(422);
    expect(asJson.json().detail.map((d: { loc: string[]; type: string }) => [d.loc.join('.'), d.type])).toEqual([
      ['body.username', 'missing'],
      ['body.password', 'missing'],
    ]);
  });

  it('wrong password, unknown email and password-less accounts get the same 401', async () => {
    const user = await signUp(t);
    const oauthOnly = await t.db.user.create({ data: { email: `${unique()}@example.com`, oauthProvider: 'google', oauthId: unique() } });
    for (const [username, password] of [
      [user.email, 'wrong password'],
      [`nobody-${unique()}@example.com`, 'whatever1'],
      [oauthOnly.email, 'whatever1'],
      [user.email.toUpperCase(), user.password],
    ]) {
      const res = await form({ username: username!, password: password! });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'AUTHENTICATION_ERROR', message: 'Invalid email or password', details: null } });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('an inactive user is refused; empty fields and a wrong grant_type are 422', async () => {
    const user = await signUp(t);
    await t.db.user.update({ where: { id: user.id }, data: { isActive: false } });
    expect((await form({ username: user.email, password: user.password })).json().error.message).toBe('User account is disabled');
    expect((await form({ username: '', password: 'x' })).statusCode).toBe(422);
    expect((await form({ username: user.email, password: user.password, grant_type: 'client_credentials' })).statusCode).toBe(422);
  });

  it('a bcrypt hash from the original database verifies and is replaced by argon2id', async () => {
    const email = `${unique()}@example.com`;
    const legacy = bcrypt.hashSync('legacy password', 10).replace(/^\$2a\$/, '$2b$');
    await t.db.user.create({ data: { email, hashedPassword: legacy } });
    expect((await form({ username: email, password: 'wrong password' })).statusCode).toBe(401);
    expect((await t.db.user.findUniqueOrThrow({ where: { email } })).hashedPassword).toBe(legacy);
    expect((await form({ username: email, password: 'legacy password' })).statusCode).toBe(200);
    const upgraded = (await t.db.user.findUniqueOrThrow({ where: { email } })).hashedPassword!;
    expect(upgraded).toMatch(/^\$argon2id\$/);
    expect((await form({ username: email, password: 'legacy password' })).statusCode).toBe(200);
  });
});

describe('tokens', () => {
  it('carry sub, exp, type and a random jti; access tokens also carry sid; lifetimes follow the settings', async () => {
    const user = await signUp(t);
    const again = await login(t, user.email, user.password);
    const access = decodeJwt(user.access_token);
    const refresh = decodeJwt(user.refresh_token);
    expect(access).toMatchObject({ sub: user.id, type: 'access', jti: expect.any(String), sid: expect.any(String) });
    expect(refresh).toMatchObject({ sub: user.id, type: 'refresh', jti: expect.any(String) });
    expect(refresh.sid).toBeUndefined();
    const now = Date.now() / 1000;
    expect(access.exp! - now).toBeCloseTo(t.settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60, -2);
    expect(refresh.exp! - now).toBeCloseTo(t.settings.REFRESH_TOKEN_EXPIRE_MINUTES * 60, -2);
    expect(again.access_token).not.toBe(user.access_token);
    expect(again.refresh_token).not.toBe(user.refresh_token);
  });

  it('every bad token gets the contract 401 on a protected route', async () => {
    const user = await signUp(t);
    const sid = decodeJwt(user.access_token).sid as string;
    // with a jti, as every token this API makes has, so each case fails on the claim it names (token-claims.test.ts drops each)
    const sign = (claims: Record<string, unknown>, exp: number, secret = key()) =>
      new SignJWT({ jti: randomUUID(), ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(secret);
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    const cases: [string, string][] = [
      ['garbage', 'Invalid or expired token'],
      [await sign({ sub: user.id, type: 'access', sid }, Math.floor(Date.now() / 1000) - 10), 'Invalid or expired token'],
      [
        await sign({ sub: user.id, type: 'access', sid }, inAnHour, new TextEncoder().encode('another-secret-key-of-32-characters!!')),
        'Invalid or expired token',
      ],
      [user.refresh_token, 'Invalid token type'],
      [await sign({ type: 'access', sid }, inAnHour), 'Invalid token payload'],
      [await sign({ sub: '00000000-0000-4000-8000-000000000000', type: 'access', sid }, inAnHour), 'Invalid or expired token'],
      [await sign({ sub: user.id, type: 'access' }, inAnHour), 'Invalid or expired token'],
    ];
    for (const [token, message] of cases) {
      const res = await api('GET', '/auth/me', undefined, bearer(token));
      expect(res.statusCode, message).toBe(401);
      expect(res.json(), token.slice(0, 20)).toEqual({ error: { code: 'AUTHENTICATION_ERROR', message, details: null } });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    const basic = await api('GET', '/auth/me', undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.json()).toEqual({ detail: 'Not authenticated' });
  });

  it('GET /auth/me and /users/me return the caller; a disabled or deleted user is refused at once', async () => {
    const user = await signUp(t);
    const me = await api('GET', '/auth/me', undefined, user.auth);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: user.id, email: user.email });
    expect((await api('GET', '/users/me', undefined, user.auth)).json()).toEqual(me.json());
    // through the services, as an admin or the CLI does it: the change is announced, so a login
    // this process keeps in memory is dropped at once (a change made with plain SQL behind the
    // services is seen within AUTH_CACHE_TTL_SECONDS, login-cache.test.ts)
    const { users } = t.app.platform.services;
    await users.update(user.id, { is_active: false }, { asAdmin: true });
    expect((await api('GET', '/auth/me', undefined, user.auth)).json().error.message).toBe('User account is disabled');
    await users.delete(user.id);
    expect((await api('GET', '/auth/me', undefined, user.auth)).json().error.message).toBe('Invalid or expired token');
  });
});

describe('POST /auth/refresh', () => {
  const refresh = (token: unknown) => api('POST', '/auth/refresh', { refresh_token: token });

  it('rotates: a new pair works, the old session ends; its access token lives on until it expires', async () => {
    const user = await signUp(t);
    const res = await refresh(user.refresh_token);
    expect(res.statusCode).toBe(200);
    const next = res.json();
    expect(next.refresh_token).not.toBe(user.refresh_token);
    expect((await api('GET', '/auth/me', undefined, bearer(next.access_token))).statusCode).toBe(200);
    // the old access token belongs to the rotated (not revoked) session: requests already in
    // flight with it when the client refreshed are not broken
    expect((await api('GET', '/auth/me', undefined, user.auth)).statusCode).toBe(200);
    // but it is not listed, and its refresh token is spent
    expect((await api('GET', '/sessions', undefined, bearer(next.access_token))).json().total).toBe(1);
    const sessions = await t.db.session.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(sessions.map((s) => s.isActive)).toEqual([false, true]);
    expect(sessions[1]!.familyId).toBe(sessions[0]!.familyId);
  });

  it('replaying a rotated refresh token revokes the whole chain', async () => {
    const user = await signUp(t);
    const first = (await refresh(user.refresh_token)).json();
    const second = (await refresh(first.refresh_token)).json();
    const replay = await refresh(user.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.message).toBe('Invalid or expired refresh token');
    expect((await refresh(second.refresh_token)).statusCode).toBe(401);
    expect((await api('GET', '/auth/me', undefined, bearer(second.access_token))).statusCode).toBe(401);
    // a revocation reaches the access tokens of the chain's rotated sessions too
    expect((await api('GET', '/auth/me', undefined, user.auth)).statusCode).toBe(401);
    expect((await api('GET', '/auth/me', undefined, bearer(first.access_token))).statusCode).toBe(401);
    expect(await t.db.session.count({ where: { userId: user.id, isActive: true } })).toBe(0);
  });

  it('a replay does not touch the user’s other logins', async () => {
    const user = await signUp(t);
    const other = await login(t, user.email, user.password);
    await refresh(user.refresh_token);
    await refresh(user.refresh_token);
    expect((await api('GET', '/auth/me', undefined, bearer(other.access_token))).statusCode).toBe(200);
  });

  it('garbage, access tokens and logged-out tokens → 401; a missing field → 422', async () => {
    const user = await signUp(t);
    for (const token of ['garbage', user.access_token, '']) {
      const res = await refresh(token);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('Invalid or expired refresh token');
    }
    await api('POST', '/auth/logout', { refresh_token: user.refresh_token });
    expect((await refresh(user.refresh_token)).statusCode).toBe(401);
    expect((await api('POST', '/auth/refresh', {})).statusCode).toBe(422);
    expect((await api('POST', '/auth/refresh', { refresh_token: 5 })).statusCode).toBe(422);
  });

  it('a disabled user cannot refresh', async () => {
    const user = await signUp(t);
    await t.db.user.update({ where: { id: user.id }, data: { isActive: false } });
    const res = await refresh(user.refresh_token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('User account is disabled');
  });

  it('two concurrent refreshes of one token: exactly one succeeds', async () => {
    const user = await signUp(t);
    const results = await Promise.all([refresh(user.refresh_token), refresh(user.refresh_token)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });
});

describe('POST /auth/logout', () => {
  it('204; the session’s access token is refused on the very next request', async () => {
    const user = await signUp(t);
    expect((await api('GET', '/auth/me', undefined, user.auth)).statusCode).toBe(200);
    const res = await api('POST', '/auth/logout', { refresh_token: user.refresh_token });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await api('GET', '/auth/me', undefined, user.auth)).statusCode).toBe(401);
  });

  it('unknown or repeated tokens still answer 204', async () => {
    const user = await signUp(t);
    for (const token of ['unknown', user.refresh_token, user.refresh_token]) {
      expect((await api('POST', '/auth/logout', { refresh_token: token })).statusCode).toBe(204);
    }
    expect((await api('POST', '/auth/logout', {})).statusCode).toBe(422);
  });
});
