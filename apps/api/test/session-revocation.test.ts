// A session ends everywhere at once (contract 7.1): a password change, own or by an admin,
// revokes every other session of the user (the caller's stays); deactivating or deleting a user
// revokes all of them; each revocation is announced to every API process (so agent sockets on
// those sessions close, agent-ws tests) and refuses the sessions' access and refresh tokens.
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SessionNews } from '@personal-automations/services';
import { login, type SignedUp, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
const announced: SessionNews[] = [];
beforeAll(() => {
  t.app.platform.services.revocations.subscribe((revocation) => announced.push(revocation));
});

const api = (method: string, url: string, auth: Record<string, string>, payload?: unknown) =>
  t.app.inject({
    method: method as never,
    url: `/api/v1${url}`,
    headers: auth,
    ...(payload !== undefined ? { payload: payload as never } : {}),
  });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sid = (token: string) => decodeJwt(token).sid as string;
const refresh = (refreshToken: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refreshToken } });
type Tokens = { access_token: string; refresh_token: string };

/** The token pair works (or not): the access token on /auth/me, the refresh token by refreshing. */
async function expectAlive(tokens: Tokens, alive: boolean) {
  expect((await api('GET', '/auth/me', bearer(tokens.access_token))).statusCode).toBe(alive ? 200 : 401);
  if (!alive) expect((await refresh(tokens.refresh_token)).statusCode).toBe(401);
}

/** A user with two more logins besides the one signUp made. */
async function userWithThreeSessions(): Promise<{ user: SignedUp; others: Tokens[] }> {
  const user = await signUp(t);
  return { user, others: [await login(t, user.email, user.password), await login(t, user.email, user.password)] };
}

describe('a password change', () => {
  it('of one’s own revokes every other session; the caller’s stays', async () => {
    const { user, others } = await userWithThreeSessions();
    expect((await api('PATCH', '/users/me', user.auth, { password: 'a brand new password' })).statusCode).toBe(200);
    await expectAlive(user, true);
    for (const tokens of others) await expectAlive(tokens, false);
    const listed = (await api('GET', '/sessions', user.auth)).json();
    expect(listed.sessions.map((s: { id: string }) => s.id)).toEqual([sid(user.access_token)]);
    expect(announced).toContainEqual({ userId: user.id, exceptSessionId: sid(user.access_token) });
  });

  it('by an admin revokes all of the user’s sessions, none of the admin’s', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const { user, others } = await userWithThreeSessions();
    expect((await api('PATCH', `/users/${user.id}`, admin.auth, { password: 'set by the admin' })).statusCode).toBe(200);
    for (const tokens of [user, ...others]) await expectAlive(tokens, false);
    await expectAlive(admin, true);
  });

  it('of an admin’s own account through /users/{id} keeps the admin’s session', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const second = await login(t, admin.email, admin.password);
    expect((await api('PATCH', `/users/${admin.id}`, admin.auth, { password: 'a brand new password' })).statusCode).toBe(200);
    await expectAlive(admin, true);
    await expectAlive(second, false);
  });

  it('also ends the sessions a refresh rotated (their access tokens are still within their lifetime)', async () => {
    const { user, others } = await userWithThreeSessions();
    const rotated = others[0]!;
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(200);
    await expectAlive({ ...rotated, refresh_token: 'spent' }, true); // rotation alone keeps the access token
    expect((await api('PATCH', '/users/me', user.auth, { password: 'a brand new password' })).statusCode).toBe(200);
    expect((await api('GET', '/auth/me', bearer(rotated.access_token))).statusCode).toBe(401);
  });

  it('other changes leave every session alone', async () => {
    const { user, others } = await userWithThreeSessions();
    expect((await api('PATCH', '/users/me', user.auth, { full_name: 'Renamed' })).statusCode).toBe(200);
    for (const tokens of [user, ...others]) await expectAlive(tokens, true);
  });
});

describe('deactivating or deleting a user', () => {
  it('deactivation revokes all sessions; reactivation does not bring them back', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const { user, others } = await userWithThreeSessions();
    expect((await api('PATCH', `/users/${user.id}`, admin.auth, { is_active: false })).statusCode).toBe(200);
    const rows = await t.db.session.findMany({ where: { userId: user.id } });
    expect(rows.every((row) => !row.isActive && row.revokedAt !== null)).toBe(true);
    expect(announced).toContainEqual({ userId: user.id });
    expect((await api('PATCH', `/users/${user.id}`, admin.auth, { is_active: true })).statusCode).toBe(200);
    for (const tokens of [user, ...others]) await expectAlive(tokens, false);
    await login(t, user.email, user.password); // a new login works again
  });

  it('deletion removes the sessions and is announced', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const { user } = await userWithThreeSessions();
    expect((await api('DELETE', `/users/${user.id}`, admin.auth)).statusCode).toBe(204);
    expect(await t.db.session.count({ where: { userId: user.id } })).toBe(0);
    expect(announced).toContainEqual({ userId: user.id });
  });
});

describe('announcements', () => {
  it('logout, DELETE /sessions/{id}, DELETE /sessions and refresh reuse name what they revoked', async () => {
    const { user, others } = await userWithThreeSessions();
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refresh_token: others[0]!.refresh_token } });
    expect(announced).toContainEqual({ sessionIds: [sid(others[0]!.access_token)] });
    expect((await api('DELETE', `/sessions/${sid(others[1]!.access_token)}`, user.auth)).statusCode).toBe(204);
    expect(announced).toContainEqual({ sessionIds: [sid(others[1]!.access_token)] });

    const next = (await refresh(user.refresh_token)).json() as Tokens;
    expect((await refresh(user.refresh_token)).statusCode).toBe(401); // reuse: the chain is revoked
    const reuse = announced.at(-1) as { sessionIds: string[] };
    expect(new Set(reuse.sessionIds)).toEqual(new Set([sid(user.access_token), sid(next.access_token)]));

    const fresh = await login(t, user.email, user.password);
    expect((await api('DELETE', '/sessions', bearer(fresh.access_token))).json().sessions_logged_out).toBe(1);
    expect(announced).toContainEqual({ userId: user.id });
  });
});
