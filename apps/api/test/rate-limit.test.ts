// Rate limiting (contract section 7): per-client budgets counted in Redis, tighter on login and
// register, envelope 429 with Retry-After, probes exempt, off with RATE_LIMIT_ENABLED=false.
import { randomUUID } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimitKeyPrefix } from '@personal-automations/services';
import type { AppRouter } from '../src/index.ts';
import { limitText } from '../src/plugins/rate-limit.ts';
import { embedded, useTestApp } from './helpers.ts';
import { AUTH_EXCEEDED, badLogin, call, DEFAULT_EXCEEDED, freshIp, useLimitedApps, userOf } from './rate-limit-support.ts';

// Rate limiting is off here (the test default): this app registers users and shows the default.
const t = useTestApp();
const { build, projectName } = useLimitedApps(t, 'rate-limit-test');

let limited: FastifyInstance;
let redis: Redis;
beforeAll(async () => {
  limited = await build();
  redis = new Redis(t.settings.redisUrl);
});
afterAll(() => redis.disconnect());

const OPENAPI = '/api/v1/openapi.json';

describe('the 429 answer', () => {
  it('words the limit as the contract does', () => {
    expect(limitText(100, 60)).toBe('100 per 1 minute');
    expect(limitText(100, 3600)).toBe('100 per 1 hour');
    expect(limitText(100, 86400)).toBe('100 per 1 day');
    expect(limitText(10, 30)).toBe('10 per 30 seconds');
    expect(limitText(10, 1)).toBe('10 per 1 second');
  });

  it('the 6th request of a client within the period → 429 envelope with Retry-After; routes share the budget', async () => {
    const ip = freshIp();
    const urls = [OPENAPI, OPENAPI, '/api/v1/items', '/api/v1/auth/me', OPENAPI];
    for (const [i, url] of urls.entries()) {
      const res = await call(limited, { url, ip });
      expect(res.statusCode, url).not.toBe(429);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    for (const url of [OPENAPI, '/api/v1/items']) {
      const res = await call(limited, { url, ip });
      expect(res.statusCode).toBe(429);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json()).toEqual(DEFAULT_EXCEEDED);
      const retryAfter = Number(res.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, String(retryAfter)).toBe(true);
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    }
    // Counted in Redis under this deployment's prefix, not in the process (embedded: in the process):
    // the 5 points served; the refusals of a client known to be over its budget ask Redis nothing.
    if (!embedded) expect(await redis.get(`${rateLimitKeyPrefix({ PROJECT_NAME: projectName })}ip:${ip}`)).toBe('5');
  });

  it('a CORS preflight is not counted, and the 429 still carries the CORS headers', async () => {
    const ip = freshIp();
    const origin = 'http://localhost:3000';
    for (let i = 0; i < 7; i++) {
      const preflight = await limited.inject({
        method: 'OPTIONS',
        url: OPENAPI,
        remoteAddress: ip,
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(preflight.statusCode).toBe(200);
    }
    for (let i = 0; i < 5; i++) expect((await call(limited, { url: OPENAPI, ip, headers: { origin } })).statusCode).toBe(200);
    const res = await call(limited, { url: OPENAPI, ip, headers: { origin } });
    expect(res.statusCode).toBe(429);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
  });
});

describe('login and register', () => {
  it('share a tighter per-IP budget, apart from the default one', async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await badLogin(limited, ip)).statusCode).toBe(401);
    const res = await badLogin(limited, ip);
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual(AUTH_EXCEEDED);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(600);

    const register = await call(limited, {
      method: 'POST',
      url: '/api/v1/auth/register',
      ip,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: `${randomUUID()}@example.com`, password: 'long enough' }),
    });
    expect(register.statusCode).toBe(429);
    expect(register.json()).toEqual(AUTH_EXCEEDED);
    // The same client still has its default budget for everything else.
    const other = await call(limited, { url: OPENAPI, ip });
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-ratelimit-limit']).toBe('5');
  });

  it('are limited per IP even with a valid access token', async () => {
    const user = await userOf(limited);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await badLogin(limited, ip, user.auth);
    expect((await badLogin(limited, ip, user.auth)).statusCode).toBe(429);
  });

  it('over tRPC draw on the same budget, a batch naming one of them too', async () => {
    const ip = freshIp();
    const credentials = { username: `nobody-${randomUUID()}@example.com`, password: 'wrong password' };
    const trpcLogin = () =>
      call(limited, {
        method: 'POST',
        url: '/trpc/auth.login',
        ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(credentials),
      });
    for (let i = 0; i < 3; i++) expect((await trpcLogin()).statusCode).toBe(401);
    expect((await badLogin(limited, ip)).statusCode).toBe(429);
    const batch = await call(limited, {
      method: 'POST',
      url: '/trpc/auth.login,auth.login?batch=1',
      ip,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ 0: credentials, 1: credentials }),
    });
    expect(batch.statusCode).toBe(429);
    expect(batch.json().map((r: { error: { data: { code: string } } }) => r.error.data.code)).toEqual([
      'TOO_MANY_REQUESTS',
      'TOO_MANY_REQUESTS',
    ]);
    // The default budget of the same IP is untouched.
    expect((await call(limited, { url: '/trpc/items.list', ip })).statusCode).toBe(401);
  });
});

describe('over tRPC', () => {
  it("calls share the client budget with REST; the 429 is in tRPC's error format, with Retry-After", async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await call(limited, { url: OPENAPI, ip })).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await call(limited, { url: '/trpc/items.list', ip })).statusCode).toBe(401);
    const res = await call(limited, { url: '/trpc/items.list', ip });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({
      error: {
        message: 'Rate limit exceeded: 5 per 1 hour',
        code: -32029,
        data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path: 'items.list', appCode: 'RATE_LIMIT_EXCEEDED', details: null },
      },
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect((await call(limited, { url: OPENAPI, ip })).statusCode).toBe(429);
  });

  it('a typed client gets a TRPCClientError coded TOO_MANY_REQUESTS', async () => {
    // A listening app: the client's requests come from 127.0.0.1, which no other limited call uses.
    const app = await build();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/trpc`;
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url })] });
    for (let i = 0; i < 5; i++) await client.auth.me.query().catch(() => undefined);
    const error = await client.auth.me.query().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).message).toBe('Rate limit exceeded: 5 per 1 hour');
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      appCode: 'RATE_LIMIT_EXCEEDED',
    });
  });
});

describe('clients', () => {
  it('two users behind one IP have budgets of their own, apart from the IP', async () => {
    const [alice, bob] = [await userOf(limited), await userOf(limited)];
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await call(limited, { url: '/api/v1/auth/me', ip, headers: alice.auth })).statusCode).toBe(200);
    expect((await call(limited, { url: '/api/v1/auth/me', ip, headers: alice.auth })).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) expect((await call(limited, { url: '/api/v1/auth/me', ip, headers: bob.auth })).statusCode).toBe(200);
    // Anonymous requests and ones with a token that does not verify count against the IP.
    expect((await call(limited, { url: OPENAPI, ip })).headers['x-ratelimit-remaining']).toBe('4');
    const forged = { authorization: `Bearer ${alice.access_token.slice(0, -4)}AAAA` };
    expect((await call(limited, { url: OPENAPI, ip, headers: forged })).headers['x-ratelimit-remaining']).toBe('3');
    expect((await call(limited, { url: '/api/v1/auth/me', ip, headers: bob.auth })).statusCode).toBe(429);
  });

  it.skipIf(embedded)('two API processes on one Redis share each budget', async () => {
    const other = await build();
    const ip = freshIp();
    const order = [limited, other, limited, other, limited];
    for (const [i, app] of order.entries()) {
      const res = await call(app, { url: OPENAPI, ip });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    expect((await call(other, { url: OPENAPI, ip })).statusCode).toBe(429);
    expect((await call(limited, { url: OPENAPI, ip })).statusCode).toBe(429);
  });
});

describe('never limited', () => {
  it('health and readiness probes, over REST and tRPC', async () => {
    const ip = freshIp();
    for (let i = 0; i < 6; i++) await call(limited, { url: OPENAPI, ip });
    expect((await call(limited, { url: OPENAPI, ip })).statusCode).toBe(429);
    for (let round = 0; round < 3; round++) {
      for (const url of ['/api/v1/health', '/api/v1/health/live', '/api/v1/health/ready', '/api/v1/ready', '/trpc/health.check']) {
        const res = await call(limited, { url, ip });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['x-ratelimit-limit'], url).toBeUndefined();
      }
    }
  });

  it('anything, when RATE_LIMIT_ENABLED=false (the test default)', async () => {
    const projectName = `rate-limit-off-${randomUUID()}`;
    const off = await build({ RATE_LIMIT_ENABLED: 'false', PROJECT_NAME: projectName });
    const ip = freshIp();
    for (const app of [off, t.app]) {
      for (let i = 0; i < 8; i++) {
        const res = await call(app, { url: OPENAPI, ip });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
      for (let i = 0; i < 4; i++) expect((await badLogin(app, ip)).statusCode).toBe(401);
    }
    expect(await redis.keys(`${projectName}:*`)).toEqual([]);
  });
});

describe('Redis outage', () => {
  it('Redis unreachable: requests are served, not limited', async () => {
    const app = await build({ REDIS_URL: 'redis://127.0.0.1:1/0' });
    const ip = freshIp();
    for (let i = 0; i < 8; i++) {
      const res = await call(app, { url: OPENAPI, ip });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    for (let i = 0; i < 4; i++) expect((await badLogin(app, ip)).statusCode).toBe(401);
  });

  it('a Redis that accepts connections and never answers: start-up and requests do not hang', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const app = await build({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
      const ip = freshIp();
      for (let i = 0; i < 6; i++) expect((await call(app, { url: OPENAPI, ip })).statusCode).toBe(200);
    } finally {
      silent.close();
    }
  });
});
