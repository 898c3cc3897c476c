// /sessions: list with is_current, revoke one (owner only), revoke all (contract section 2, Sessions; section 7).

import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { login, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
const api = (method: string, url: string, auth: Record<string, string>) =>
  t.app.inject({ method: method as never, url: `/api/v1${url}`, headers: auth });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('sessions', () => {
  it('GET /sessions lists active sessions, newest use first, is_current only for the caller’s', async () => {
    const user = await signUp(t, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Firefox/120.0' } });
    const second = await login(t, user.email, user.password, { 'user-agent': 'Mozilla/5.0 (iPad; CPU OS 17) Safari/604.1' });
    const res = await api('GET', '/sessions', bearer(second.access_token));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.sessions[0]).toEqual({
      id: decodeJwt(second.access_token).sid,
      device_name: 'Safari',
      device_type: 'tablet',
      ip_address: '127.0.0.1',
      is_current: true,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
    });
    expect(body.sessions[1]).toMatchObject({
      id: decodeJwt(user.access_token).sid,
      device_name: 'Firefox',
      device_type: 'desktop',
      is_current: false,
    });
  });

  it('DELETE /sessions/{id} revokes that session: its access token is refused on the next request', async () => {
    const user = await signUp(t);
    const other = await login(t, user.email, user.password);
    const otherSid = decodeJwt(other.access_token).sid as string;
    expect((await api('GET', '/auth/me', bearer(other.access_token))).statusCode).toBe(200);
    const res = await api('DELETE', `/sessions/${otherSid}`, user.auth);
    expect(res.statusCode).toBe(204);
    expect((await api('GET', '/auth/me', bearer(other.access_token))).statusCode).toBe(401);
    expect((await api('GET', '/auth/me', user.auth)).statusCode).toBe(200);
    // already inactive: still 204
    expect((await api('DELETE', `/sessions/${otherSid}`, user.auth)).statusCode).toBe(204);
    expect((await api('GET', '/sessions', user.auth)).json().total).toBe(1);
  });

  it('user B gets 404 on user A’s session, and A’s session survives', async () => {
    const a = await signUp(t);
    const b = await signUp(t);
    const aSid = decodeJwt(a.access_token).sid as string;
    const res = await api('DELETE', `/sessions/${aSid}`, b.auth);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Session not found', details: null } });
    expect((await api('GET', '/auth/me', a.auth)).statusCode).toBe(200);
    expect((await api('DELETE', '/sessions/00000000-0000-4000-8000-000000000000', a.auth)).statusCode).toBe(404);
    expect((await api('DELETE', '/sessions/not-a-uuid', a.auth)).statusCode).toBe(422);
  });

  it('DELETE /sessions logs out everywhere and counts the sessions', async () => {
    const user = await signUp(t);
    const others = [await login(t, user.email, user.password), await login(t, user.email, user.password)];
    const res = await api('DELETE', '/sessions', user.auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Successfully logged out from all sessions', sessions_logged_out: 3 });
    for (const token of [user.access_token, ...others.map((o) => o.access_token)])
      expect((await api('GET', '/auth/me', bearer(token))).statusCode).toBe(401);
    for (const o of others)
      expect(
        (await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: o.refresh_token } })).statusCode,
      ).toBe(401);
  });

  it('no credentials → 401 Not authenticated', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ detail: 'Not authenticated' });
  });
});
