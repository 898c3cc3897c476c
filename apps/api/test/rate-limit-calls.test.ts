// Budgets count procedure calls, not HTTP requests (contract 7.1): every call of a tRPC batch
// draws on its own procedure's budget, a batch holds at most TRPC_MAX_BATCH_SIZE calls, the
// budget is the one of the procedure tRPC really runs (its path decoded as tRPC decodes it), and
// a path that names no procedure draws on the strictest budget.

import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { trpcCallPaths } from '../src/trpc/call-paths.ts';
import { useTestApp } from './helpers.ts';
import { AUTH_EXCEEDED, call, freshIp, PASSWORD, useLimitedApps, userOf } from './rate-limit-support.ts';

const t = useTestApp();
const { build } = useLimitedApps(t, 'rate-limit-calls');
let limited: FastifyInstance;
beforeAll(async () => {
  limited = await build();
});

const json = { 'content-type': 'application/json' };
/** POST /trpc/<paths>?batch=1 with one input per call. */
const batch = (app: FastifyInstance, ip: string, paths: string[], inputs: unknown[], headers: Record<string, string> = {}) =>
  call(app, {
    method: 'POST',
    url: `/trpc/${paths.join(',')}?batch=1`,
    ip,
    headers: { ...json, ...headers },
    payload: JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, input]))),
  });
const codes = (body: Array<{ error?: { data: { code: string } } }>) => body.map((r) => r.error?.data.code ?? 'OK');

describe('a tRPC batch', () => {
  it('draws one point per call: two logins, then a third, spend an auth budget of 3', async () => {
    const ip = freshIp();
    const wrong = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ username: `nobody-${i}-${ip}@example.com`, password: 'wrong password' }));
    const first = await batch(limited, ip, ['auth.login', 'auth.login'], wrong(2));
    expect(codes(first.json())).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    const single = await call(limited, {
      method: 'POST',
      url: '/trpc/auth.login',
      ip,
      headers: json,
      payload: JSON.stringify(wrong(1)[0]),
    });
    expect(single.statusCode).toBe(401);
    const over = await call(limited, { method: 'POST', url: '/trpc/auth.login', ip, headers: json, payload: JSON.stringify(wrong(1)[0]) });
    expect(over.statusCode).toBe(429);
    expect(over.json().error.message).toBe(AUTH_EXCEEDED.error.message);
  });

  it('of ten guesses against a budget of 3 is refused whole: not one password is checked', async () => {
    const user = await userOf(limited);
    const ip = freshIp();
    const sessionsBefore = await limited.platform.db.session.count({ where: { userId: user.id } });
    const guesses = Array.from({ length: 10 }, (_, i) => ({ username: user.email, password: i === 9 ? PASSWORD : `guess ${i}` }));
    const res = await batch(limited, ip, Array(10).fill('auth.login'), guesses);
    expect(res.statusCode).toBe(429);
    expect(new Set(codes(res.json()))).toEqual(new Set(['TOO_MANY_REQUESTS']));
    // the right password was in the batch, yet no session was made
    expect(await limited.platform.db.session.count({ where: { userId: user.id } })).toBe(sessionsBefore);
  });

  it('mixes budgets: each call draws on its own procedure’s', async () => {
    const user = await userOf(limited);
    const ip = freshIp();
    const res = await call(limited, { url: '/trpc/auth.me,auth.me,auth.me?batch=1&input=%7B%7D', ip, headers: user.auth });
    expect(codes(res.json())).toEqual(['OK', 'OK', 'OK']);
    // the user's default budget (5) lost three points at once
    expect(res.headers['x-ratelimit-remaining']).toBe('2');
    const more = await call(limited, { url: '/trpc/auth.me,auth.me,auth.me?batch=1&input=%7B%7D', ip, headers: user.auth });
    expect(more.statusCode).toBe(429);
  });

  it('past TRPC_MAX_BATCH_SIZE is a BAD_REQUEST and runs nothing', async () => {
    const app = await build({ TRPC_MAX_BATCH_SIZE: '3', RATE_LIMIT_AUTH_REQUESTS: '100' });
    const user = await userOf(app);
    const sessionsBefore = await app.platform.db.session.count({ where: { userId: user.id } });
    const right = { username: user.email, password: PASSWORD };
    const res = await batch(app, freshIp(), Array(4).fill('auth.login'), Array(4).fill(right));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ message: 'Batch call exceeds maximum size', data: { code: 'BAD_REQUEST' } });
    expect(await app.platform.db.session.count({ where: { userId: user.id } })).toBe(sessionsBefore);
    // three is fine
    const ok = await batch(app, freshIp(), Array(3).fill('auth.login'), Array(3).fill(right));
    expect(codes(ok.json())).toEqual(['OK', 'OK', 'OK']);
  });

  it('defaults to at most 10 calls', async () => {
    const ip = freshIp();
    const eleven = await call(limited, { url: `/trpc/${Array(11).fill('health.check').join(',')}?batch=1`, ip });
    expect(eleven.statusCode).toBe(400);
    const ten = await call(limited, { url: `/trpc/${Array(10).fill('health.check').join(',')}?batch=1`, ip });
    expect(ten.statusCode).toBe(200);
  });
});

describe('the budget of the procedure tRPC runs', () => {
  it('a twice-encoded login path (auth.logi%256E) runs auth.login and is counted as a login', async () => {
    const ip = freshIp();
    const login = () =>
      call(limited, {
        method: 'POST',
        url: '/trpc/auth.logi%256E',
        ip,
        headers: json,
        payload: JSON.stringify({ username: `x-${ip}@example.com`, password: 'wrong password' }),
      });
    for (let i = 0; i < 3; i++) {
      const res = await login();
      expect(res.statusCode).toBe(401);
      expect(res.json().error.data.path).toBe('auth.login');
    }
    const res = await login();
    expect(res.statusCode).toBe(429);
    expect(res.json().error.message).toBe(AUTH_EXCEEDED.error.message);
  });

  it('a path that names no procedure draws on the strictest budget', async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++)
      expect((await call(limited, { method: 'POST', url: '/trpc/auth.nothing', ip, headers: json, payload: '{}' })).statusCode).toBe(404);
    const login = await call(limited, {
      method: 'POST',
      url: '/trpc/auth.login',
      ip,
      headers: json,
      payload: JSON.stringify({ username: 'a@example.com', password: 'b' }),
    });
    expect(login.statusCode).toBe(429);
  });
});

describe('trpcCallPaths', () => {
  // Each request goes to the real tRPC handler too, and the paths it reports (data.path on each
  // call's error; no credentials are sent, so every call fails) must be the ones computed here.
  const cases: Array<{ url: string; method?: 'GET' | 'POST'; type?: string }> = [
    { url: '/trpc/auth.logi%256E' },
    { url: '/trpc/auth%252Eme' },
    { url: '/trpc/items.list,auth.me?batch=1' },
    { url: '/trpc/items.list,auth.me' },
    { url: '/trpc/items.list,auth.me?batch=1&batch=0' },
    { url: '/trpc/items.list,auth.me?batch=0&batch=1' },
    { url: '/trpc/items.list%252Cauth.me?batch=1' },
    { url: '/trpc/users.updateMe,auth.logout?batch=1', method: 'POST', type: 'application/json' },
    { url: '/trpc/nothing.here,auth.me?batch=1' },
  ];

  it.each(cases)('$method $url ($type) names the calls tRPC runs', async ({ url, method = 'GET', type }) => {
    const headers = type ? { 'content-type': type } : {};
    const res = await t.app.inject({
      method,
      url,
      headers,
      ...(method === 'POST' ? { payload: type === 'application/json' ? '{}' : 'x' } : {}),
    });
    const body = res.json();
    const ran = (Array.isArray(body) ? body : [body]).map((r: { error: { data: { path?: string } } }) => r.error.data.path);
    const param = decodeURIComponent(url.split('?')[0]!.slice('/trpc/'.length));
    expect(trpcCallPaths(param, url, method, type).paths).toEqual(ran);
  });

  it('a POST body that is not JSON is refused (415, tRPC format) before tRPC reads it', async () => {
    for (const type of ['multipart/form-data; boundary=x', 'application/octet-stream', 'text/plain']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/trpc/users.updateMe?batch=1',
        headers: { 'content-type': type },
        payload: 'x',
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.data).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', httpStatus: 415 });
    }
  });

  it('a path that does not decode runs nothing (tRPC answers 400)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/trpc/auth.me%25E0%25A4%25A' });
    expect(res.statusCode).toBe(400);
    expect(trpcCallPaths('auth.me%E0%A4%A', '/trpc/auth.me%25E0%25A4%25A', 'GET', undefined).paths).toBeNull();
  });
});
