// With the database unreachable, a route fails unexpectedly: the client gets the 500 envelope
// with its request id and no stack trace.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '@personal-automations/services';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { testSettings } from './helpers.ts';

let app: FastifyInstance;
let auth: Record<string, string>;
beforeAll(async () => {
  const settings = testSettings('postgresql://postgres@127.0.0.1:1/unreachable', { DB_POOL_TIMEOUT: '2' });
  app = await buildApp({ settings });
  // A well-signed token, so the request gets as far as the (unreachable) database.
  const tokens = new TokenService({ secretKey: settings.SECRET_KEY, accessTokenMinutes: 5, refreshTokenMinutes: 5 });
  auth = { authorization: `Bearer ${await tokens.createAccessToken(randomUUID(), randomUUID())}` };
});
afterAll(async () => {
  await app.close();
});

describe('unexpected failures', () => {
  it('answer 500 INTERNAL_ERROR with X-Request-ID and nothing internal', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/items', headers: { 'x-request-id': 'req-500', ...auth } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred', details: null } });
    expect(res.headers['x-request-id']).toBe('req-500');
    expect(res.body).not.toMatch(/at |ECONNREFUSED|prisma/i);
  });

  it('the tRPC endpoint reports INTERNAL_SERVER_ERROR without a stack', async () => {
    const res = await app.inject({ method: 'GET', url: '/trpc/items.list?input=%7B%7D', headers: auth });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.data.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.json().error.message).toBe('An unexpected error occurred');
    expect(res.body).not.toMatch(/stack|ECONNREFUSED|127\.0\.0\.1|prisma/i);
  });
});
