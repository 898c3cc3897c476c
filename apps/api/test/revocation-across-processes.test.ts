// Each API process keeps the logins it validated in memory (login-cache.ts), and a revoked
// session is still refused at once everywhere: by the process that revoked it as soon as it
// answers, and by every other API process within 50 ms of that answer. A second API process (its
// own OS process) on the same PostgreSQL and Redis checks it, many times over, for each way a
// session ends; an account change (role) is seen by the other process as quickly.
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvFile } from '@personal-automations/config';
import { waitUntil } from '@personal-automations/testing';
import { embedded, freePort, login, REDIS_URL, type SignedUp, signUp, useTestApp } from './helpers.ts';

/** The requirement: refused by every process within this long of the revoking request's answer. */
const DEADLINE_MS = 50;
/**
 * Judged on the median round: on a loaded 2-core machine (a whole test run beside it) any process
 * can be descheduled for longer than the deadline now and then, so a single round may take up to
 * this long. Without the news, the other process answers from its memory for AUTH_CACHE_TTL_SECONDS.
 */
const WORST_ROUND_MS = 500;
const ROUNDS = 10;
const mainFile = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const t = useTestApp();
let other: { child: ChildProcess; baseUrl: string };

beforeAll(async () => {
  if (embedded) return;
  const port = await freePort();
  const child = spawn(process.execPath, [mainFile], {
    env: {
      ...readEnvFile(),
      ...process.env,
      DATABASE_URL: t.databaseUrl,
      REDIS_URL,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ENABLED: 'false',
    },
    stdio: 'ignore',
  });
  other = { child, baseUrl: `http://127.0.0.1:${port}` };
  await waitUntil('the second API process', () =>
    fetch(`${other.baseUrl}/api/v1/health`).then(
      (r) => r.ok,
      () => false,
    ),
  );
}, 40_000);
afterAll(() => {
  other?.child.kill('SIGTERM');
});

const me = (baseUrl: string, token: string) => fetch(`${baseUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
const here = (method: string, url: string, auth: Record<string, string>, payload?: object) =>
  t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: auth, ...(payload && { payload }) });

/** Both processes have validated the token (and so keep the login). */
async function warm(token: string) {
  for (const baseUrl of [t.baseUrl, other.baseUrl, other.baseUrl]) expect((await me(baseUrl, token)).status).toBe(200);
}

/** How long after `answeredAt` the other process first gives `expected` for `token` (it asks at once, then again and again). */
async function untilOtherSays(token: string, answeredAt: number, expected: (res: Response) => Promise<boolean>): Promise<number> {
  for (;;) {
    const res = await me(other.baseUrl, token);
    const elapsed = performance.now() - answeredAt;
    if (await expected(res)) return elapsed;
    if (elapsed > 2000) throw new Error(`the other process still answered ${res.status} after ${Math.round(elapsed)} ms`);
  }
}
function expectWithinDeadline(delays: number[]) {
  const sorted = [...delays].sort((a, b) => a - b);
  const said = `delays (ms): ${delays.map(Math.round).join(', ')}`;
  expect(sorted[Math.floor(sorted.length / 2)], said).toBeLessThanOrEqual(DEADLINE_MS);
  expect(sorted.at(-1), said).toBeLessThanOrEqual(WORST_ROUND_MS);
}
const refused = async (res: Response) => res.status === 401;

type Way = { name: string; revoke: (user: SignedUp, victim: string, admin: SignedUp) => Promise<number> };
const sid = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

const ways: Way[] = [
  {
    name: 'DELETE /sessions/{id}',
    revoke: async (user, victim) => (await here('DELETE', `/sessions/${sid(victim)}`, user.auth)).statusCode,
  },
  { name: 'DELETE /sessions', revoke: async (user) => (await here('DELETE', '/sessions', user.auth)).statusCode },
  {
    name: 'a password change',
    revoke: async (user) => (await here('PATCH', '/users/me', user.auth, { password: `new password ${Math.random()}` })).statusCode,
  },
  {
    name: 'deactivation by an admin',
    revoke: async (user, _victim, admin) => (await here('PATCH', `/users/${user.id}`, admin.auth, { is_active: false })).statusCode,
  },
];

describe.skipIf(embedded)('a revoked session on two API processes', () => {
  for (const way of ways) {
    it(`${way.name}: refused here at once and by the other process within ${DEADLINE_MS} ms, ${ROUNDS} times`, async () => {
      const admin = await signUp(t, { role: 'admin' });
      const delays: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const user = await signUp(t);
        const victim = (await login(t, user.email, user.password)).access_token;
        await warm(victim);
        const status = await way.revoke(user, victim, admin);
        const answeredAt = performance.now();
        expect(status).toBeLessThan(300);
        expect((await here('GET', '/auth/me', { authorization: `Bearer ${victim}` })).statusCode).toBe(401);
        delays.push(await untilOtherSays(victim, answeredAt, refused));
      }
      expectWithinDeadline(delays);
    });
  }

  it(`a role change is seen by the other process within ${DEADLINE_MS} ms, ${ROUNDS} times`, async () => {
    const admin = await signUp(t, { role: 'admin' });
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const user = await signUp(t);
      await warm(user.access_token);
      expect((await here('PATCH', `/users/${user.id}`, admin.auth, { role: 'admin' })).statusCode).toBe(200);
      const answeredAt = performance.now();
      const promoted = async (res: Response) => res.status === 200 && (await res.json()).role === 'admin';
      delays.push(await untilOtherSays(user.access_token, answeredAt, promoted));
    }
    expectWithinDeadline(delays);
  });
});
