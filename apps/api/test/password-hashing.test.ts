// Password hashing is bounded per process: a login flood (here thirty at once, or tRPC batches
// whose calls run in parallel) runs PASSWORD_HASH_CONCURRENCY argon2 operations at a time; the
// rest wait at most PASSWORD_HASH_QUEUE_TIMEOUT_SECONDS, then get 503 + Retry-After, and other
// requests are served meanwhile.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { HASHING_BUSY } from '@personal-automations/services';
import { buildApp } from '../src/app.ts';
import { testSettings, useTestApp } from './helpers.ts';

const t = useTestApp();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({
    settings: testSettings(t.databaseUrl, { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_TIMEOUT_SECONDS: '0.05' }),
  });
  return () => app.close();
});

const BUSY = { error: { code: 'SERVICE_UNAVAILABLE', message: HASHING_BUSY, details: null } };
const login = () =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username: `flood-${randomUUID()}@example.com`, password: 'wrong password' }).toString(),
  });

describe('a login flood', () => {
  it('past the queue gets 503 SERVICE_UNAVAILABLE with Retry-After; the rest are checked; other requests are served', async () => {
    const flood = Array.from({ length: 30 }, login);
    const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(health.statusCode).toBe(200);
    const answers = await Promise.all(flood);
    const busy = answers.filter((res) => res.statusCode === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.filter((res) => res.statusCode === 401).length).toBeGreaterThan(0);
    expect(answers.every((res) => res.statusCode === 401 || res.statusCode === 503)).toBe(true);
    for (const res of busy) {
      expect(res.json()).toEqual(BUSY);
      expect(res.headers['retry-after']).toBe('1');
    }
  });

  it('over tRPC, the calls of a batch wait in the same line', async () => {
    const input = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [i, { username: `flood-${i}-${randomUUID()}@example.com`, password: 'x' }]),
    );
    const res = await app.inject({
      method: 'POST',
      url: `/trpc/${Array(10).fill('auth.login').join(',')}?batch=1`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(input),
    });
    const codes = (res.json() as Array<{ error: { data: { code: string } } }>).map((r) => r.error.data.code);
    expect(codes).toContain('SERVICE_UNAVAILABLE');
    expect(codes).toContain('UNAUTHORIZED');
    expect(res.headers['retry-after']).toBe('1');
  });
});
