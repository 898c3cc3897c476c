import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { embedded, testSettings, useTestApp } from './helpers.ts';

const t = useTestApp();

describe('health', () => {
  it('GET /health → {"status": "healthy"}', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });

  it('GET /health/live names the service and environment', async () => {
    const body = await (await fetch(`${t.baseUrl}/api/v1/health/live`)).json();
    expect(body).toEqual({
      status: 'alive',
      timestamp: expect.stringMatching(/\+00:00$/),
      service: t.settings.PROJECT_NAME,
      details: { version: '1.0.0', environment: t.settings.ENVIRONMENT },
    });
  });

  it('GET /health/ready and /ready check PostgreSQL and Redis, or name the embedded parts', async () => {
    const healthy = (type?: string) => ({ status: 'healthy', latency_ms: expect.any(Number), ...(type && { type }) });
    const checks = embedded
      ? { database: healthy('pglite'), job_queue: healthy('postgresql'), rate_limit: healthy('memory') }
      : { database: healthy('postgresql'), redis: healthy() };
    for (const path of ['/health/ready', '/ready']) {
      const res = await fetch(`${t.baseUrl}/api/v1${path}`);
      expect(res.status, path).toBe(200);
      const body = await res.json();
      expect(body.status).toBe('ready');
      expect(body.checks).toEqual(checks);
    }
  });
});

describe('readiness failures → 503 naming the failing check', () => {
  let silent: net.Server;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    // A "Redis" that accepts connections and never answers.
    silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await app?.close();
    silent.close();
  });

  it('Redis unreachable', async () => {
    const a = await buildApp({ settings: testSettings(t.databaseUrl, { REDIS_URL: 'redis://127.0.0.1:1/0' }) });
    const res = await a.inject({ method: 'GET', url: '/api/v1/health/ready' });
    await a.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'not_ready',
      checks: { database: { status: 'healthy' }, redis: { status: 'unhealthy', error: expect.any(String) } },
    });
  });

  it('Redis that never answers: 503 after the check timeout, not a hang', async () => {
    const port = (silent.address() as net.AddressInfo).port;
    app = await buildApp({ settings: testSettings(t.databaseUrl, { REDIS_URL: `redis://127.0.0.1:${port}/0` }) });
    const res = await app.inject({ method: 'GET', url: '/api/v1/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.redis.status).toBe('unhealthy');
  });

  // the embedded database is in the process: it cannot be unreachable
  it.skipIf(embedded)('PostgreSQL unreachable', async () => {
    const a = await buildApp({ settings: testSettings('postgresql://postgres@127.0.0.1:1/none', { DB_POOL_TIMEOUT: '2' }) });
    const res = await a.inject({ method: 'GET', url: '/api/v1/ready' });
    await a.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'not_ready',
      checks: { database: { status: 'unhealthy', type: 'postgresql', error: expect.any(String) }, redis: { status: 'healthy' } },
    });
  });
});
