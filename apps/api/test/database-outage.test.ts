// The database server going away (cut here with a TCP proxy in front of PostgreSQL): every
// request that needs it answers 503 SERVICE_UNAVAILABLE with Retry-After, over REST and tRPC,
// never 500; the log gets one line when the outage starts and one when it ends, not one per request.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTcpProxy, useTestDatabase } from '@personal-automations/testing';
import { buildApp } from '../src/app.ts';
import { type SignedUp, signUp, type TestApp, testSettings } from './helpers.ts';

const database = useTestDatabase();
const lines: Array<{ level: number; msg: string }> = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});
const logged = (text: string) => lines.filter((line) => line.msg.includes(text)).length;

let proxy: Awaited<ReturnType<typeof openTcpProxy>>;
let app: FastifyInstance;
let user: SignedUp;
const ENVELOPE = { error: { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable', details: null } };

beforeAll(async () => {
  proxy = await openTcpProxy(database.url);
  // a short pool timeout: requests during the outage fail fast instead of queueing for a connection
  const settings = testSettings(proxy.url, { DB_POOL_TIMEOUT: '2' });
  app = await buildApp({ settings, logger: { level: 'info', stream: logStream } });
  user = await signUp({ app, db: app.platform.db } as TestApp);
});
afterAll(async () => {
  await app?.close();
  await proxy?.stop();
});

const rest = (url: string) => app.inject({ method: 'GET', url, headers: user.auth });
const passwordLogin = () =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username: user.email, password: user.password }).toString(),
  });

async function waitFor(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('PostgreSQL unreachable', () => {
  it('REST answers the 503 envelope with Retry-After, tRPC SERVICE_UNAVAILABLE; one log line each way', async () => {
    expect((await rest('/api/v1/items')).statusCode).toBe(200);
    await proxy.stop();

    for (let i = 0; i < 5; i++) {
      for (const res of [await rest('/api/v1/items'), await rest('/api/v1/sessions'), await passwordLogin()]) {
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json()).toEqual(ENVELOPE);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.headers['x-request-id']).toEqual(expect.any(String));
      }
      const trpc = await rest('/trpc/items.list?input=%7B%7D');
      expect(trpc.statusCode).toBe(503);
      expect(trpc.json().error).toMatchObject({
        message: 'Service temporarily unavailable',
        data: { code: 'SERVICE_UNAVAILABLE', appCode: 'SERVICE_UNAVAILABLE' },
      });
      expect(trpc.headers['retry-after']).toBe('5');
      expect(trpc.body).not.toMatch(/stack|ECONNREFUSED|127\.0\.0\.1|prisma/i);
    }
    expect(logged('database unavailable')).toBe(1);
    expect(logged('unhandled error') + logged('tRPC procedure failed')).toBe(0);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);

    await proxy.start();
    await waitFor(async () => (await rest('/api/v1/items')).statusCode === 200);
    await waitFor(async () => logged('database reachable again') === 1);
    expect(logged('database unavailable')).toBe(1);
  });

  it('readiness names the database while it is down', async () => {
    await proxy.stop();
    try {
      const ready = await app.inject({ method: 'GET', url: '/api/v1/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.database.status).toBe('unhealthy');
    } finally {
      await proxy.start();
    }
    await waitFor(async () => (await rest('/api/v1/items')).statusCode === 200);
  });
});
