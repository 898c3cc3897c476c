// Apps with rate limiting on, for the tests of budgets: each file's apps share a PROJECT_NAME of
// their own (so runs sharing a Redis never see each other's counters, and the cleanup finds
// exactly that run's keys) and long periods (no assertion depends on a window ending).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { buildApp } from '../src/app.ts';
import { embedded, type TestApp, testSettings } from './helpers.ts';

export const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_REQUESTS: '5',
  RATE_LIMIT_PERIOD: '3600',
  RATE_LIMIT_AUTH_REQUESTS: '3',
  RATE_LIMIT_AUTH_PERIOD: '600',
};
export const DEFAULT_EXCEEDED = { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded: 5 per 1 hour', details: null } };
export const AUTH_EXCEEDED = { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded: 3 per 600 seconds', details: null } };
export const PASSWORD = 'correct horse battery';

/**
 * `build(overrides)` makes an app on `t`'s database with LIMITS and this file's PROJECT_NAME;
 * every app is closed, and the file's Redis keys deleted, after the file.
 */
export function useLimitedApps(t: TestApp, prefix: string) {
  const projectName = `${prefix}-${randomUUID()}`;
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await dropProjectKeys(t, projectName);
  });
  return {
    projectName,
    async build(overrides: Record<string, string> = {}): Promise<FastifyInstance> {
      const app = await buildApp({ settings: testSettings(t.databaseUrl, { ...LIMITS, PROJECT_NAME: projectName, ...overrides }) });
      apps.push(app);
      return app;
    },
  };
}

/** Deletes the Redis keys of a PROJECT_NAME a test file used (there are none in embedded mode). */
export async function dropProjectKeys(t: TestApp, projectName: string): Promise<void> {
  if (embedded) return;
  const redis = new Redis(t.settings.redisUrl);
  const keys = await redis.keys(`${projectName}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

/** A user of `app` and its bearer header, made through the services: the app's tight auth budget is not spent. */
export async function userOf(app: FastifyInstance) {
  const { users, auth } = app.platform.services;
  const email = `limited-${randomUUID()}@example.com`;
  const user = await users.register({ email, password: PASSWORD, full_name: null });
  const { access_token } = await auth.login({ username: email, password: PASSWORD }, { ip: '127.0.0.1' });
  return { id: user.id, email, access_token, auth: { authorization: `Bearer ${access_token}` } };
}

let lastIp = 0;
/** Each test is its own client IP (inject's remoteAddress), so no test spends another's budget. */
export const freshIp = (): string => `198.51.100.${++lastIp % 250}`;

export type Call = { method?: 'GET' | 'POST'; url: string; ip: string; headers?: Record<string, string>; payload?: string };
export const call = (app: FastifyInstance, { method = 'GET', url, ip, headers = {}, payload }: Call) =>
  app.inject({ method, url, remoteAddress: ip, headers, ...(payload !== undefined ? { payload } : {}) });

export const formLogin = (app: FastifyInstance, ip: string, username: string, password: string, headers: Record<string, string> = {}) =>
  call(app, {
    method: 'POST',
    url: '/api/v1/auth/login',
    ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ username, password }).toString(),
  });

/** A failed login for an unknown email of its own, so the per-account throttle never decides. */
export const badLogin = (app: FastifyInstance, ip: string, headers: Record<string, string> = {}) =>
  formLogin(app, ip, `nobody-${randomUUID()}@example.com`, 'wrong password', headers);
