// The per-account login throttle beside the per-IP budget (contract 7.1, ASVS 2.2.1): after
// LOGIN_MAX_FAILURES failed logins for one email within LOGIN_FAILURE_WINDOW_SECONDS, further
// attempts for it get 429 with Retry-After from any IP, unknown emails alike; a success clears it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOO_MANY_FAILED_LOGINS } from '@personal-automations/services';
import { embedded, useTestApp } from './helpers.ts';
import { call, formLogin, freshIp, PASSWORD, useLimitedApps, userOf } from './rate-limit-support.ts';

const t = useTestApp();
const { build } = useLimitedApps(t, 'login-throttle');
// The per-IP auth budget out of the way (each attempt also comes from an IP of its own).
const WIDE_IP_BUDGET = { RATE_LIMIT_AUTH_REQUESTS: '1000', LOGIN_MAX_FAILURES: '5', LOGIN_FAILURE_WINDOW_SECONDS: '900' };
let app: FastifyInstance;
beforeAll(async () => {
  app = await build(WIDE_IP_BUDGET);
});

const THROTTLED = { error: { code: 'RATE_LIMIT_EXCEEDED', message: TOO_MANY_FAILED_LOGINS, details: null } };
const attempt = (email: string, password: string) => formLogin(app, freshIp(), email, password);

async function failTimes(email: string, n: number) {
  for (let i = 0; i < n; i++) expect((await attempt(email, `wrong ${i}`)).statusCode).toBe(401);
}

function expectThrottled(res: Awaited<ReturnType<typeof attempt>>) {
  expect(res.statusCode).toBe(429);
  expect(res.json()).toEqual(THROTTLED);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter >= 1 && retryAfter <= 900, String(retryAfter)).toBe(true);
}

describe('after five failures for one account', () => {
  it('every attempt for it is refused, from any IP, even with the right password', async () => {
    const user = await userOf(app);
    await failTimes(user.email, 5);
    expectThrottled(await attempt(user.email, PASSWORD));
    expectThrottled(await attempt(user.email.toUpperCase(), PASSWORD)); // case does not split the count
    // over tRPC too
    const trpc = await call(app, {
      method: 'POST',
      url: '/trpc/auth.login',
      ip: freshIp(),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: user.email, password: PASSWORD }),
    });
    expect(trpc.statusCode).toBe(429);
    expect(trpc.json().error).toMatchObject({ message: TOO_MANY_FAILED_LOGINS, data: { code: 'TOO_MANY_REQUESTS' } });
    // other accounts are not affected
    const other = await userOf(app);
    expect((await attempt(other.email, PASSWORD)).statusCode).toBe(200);
  });

  it('an unknown email gets the very same answers (no enumeration)', async () => {
    const known = await userOf(app);
    const unknown = `nobody-${randomUUID()}@example.com`;
    const bodies = async (email: string) => {
      const answers = [];
      for (let i = 0; i < 6; i++) {
        const res = await attempt(email, 'wrong password');
        answers.push({ status: res.statusCode, body: res.json() });
      }
      return answers;
    };
    expect(await bodies(unknown)).toEqual(await bodies(known.email));
  });

  it('parallel guesses cannot slip past the count', async () => {
    const user = await userOf(app);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(user.email, `guess ${i}`)));
    const statuses = answers.map((res) => res.statusCode).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });
});

describe('a successful login', () => {
  it('clears the count', async () => {
    const user = await userOf(app);
    await failTimes(user.email, 4);
    expect((await attempt(user.email, PASSWORD)).statusCode).toBe(200);
    await failTimes(user.email, 5);
    expectThrottled(await attempt(user.email, 'wrong again'));
  });
});

describe('settings', () => {
  it('LOGIN_MAX_FAILURES sets the number', async () => {
    const strict = await build({ ...WIDE_IP_BUDGET, LOGIN_MAX_FAILURES: '2' });
    const user = await userOf(strict);
    for (let i = 0; i < 2; i++) expect((await formLogin(strict, freshIp(), user.email, 'wrong')).statusCode).toBe(401);
    expect((await formLogin(strict, freshIp(), user.email, PASSWORD)).statusCode).toBe(429);
  });

  it.skipIf(embedded)('two API processes on one Redis share the count', async () => {
    const [first, second] = [await build(WIDE_IP_BUDGET), await build(WIDE_IP_BUDGET)];
    const user = await userOf(first);
    for (let i = 0; i < 5; i++) expect((await formLogin(i % 2 ? first : second, freshIp(), user.email, 'wrong')).statusCode).toBe(401);
    expect((await formLogin(first, freshIp(), user.email, PASSWORD)).statusCode).toBe(429);
    expect((await formLogin(second, freshIp(), user.email, PASSWORD)).statusCode).toBe(429);
  });

  it('RATE_LIMIT_ENABLED=false turns it off with the other budgets', async () => {
    const user = await userOf(t.app);
    for (let i = 0; i < 7; i++) expect((await formLogin(t.app, freshIp(), user.email, 'wrong')).statusCode).toBe(401);
    expect((await formLogin(t.app, freshIp(), user.email, PASSWORD)).statusCode).toBe(200);
  });
});
