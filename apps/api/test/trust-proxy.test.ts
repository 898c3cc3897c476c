// TRUST_PROXY: which peers may name the client's address in X-Forwarded-For. The address becomes
// request.ip, which keys the per-IP rate limits and is stored as a login session's ip_address.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimitKeyPrefix } from '@personal-automations/services';
import { embedded, useTestApp } from './helpers.ts';
import { AUTH_EXCEEDED, badLogin, formLogin, freshIp, PASSWORD, useLimitedApps } from './rate-limit-support.ts';

const t = useTestApp();
// One PROJECT_NAME per app, so their Redis counters never mix.
const hopsApps = useLimitedApps(t, 'trust-proxy-hops');
const directApps = useLimitedApps(t, 'trust-proxy-none');
const listApps = useLimitedApps(t, 'trust-proxy-list');

const CLIENT = '203.0.113.9';
const forwardedFor = (value: string) => ({ 'x-forwarded-for': value });

let byHops: FastifyInstance;
let direct: FastifyInstance;
let byList: FastifyInstance;
let redis: Redis | undefined;
beforeAll(async () => {
  byHops = await hopsApps.build({ TRUST_PROXY: '1' });
  direct = await directApps.build();
  byList = await listApps.build({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' });
  if (!embedded) redis = new Redis(t.settings.redisUrl);
});
afterAll(() => redis?.disconnect());

/** Logs a new user of `app` in from `socketIp`, and returns the ip_address its session recorded. */
async function sessionAddress(app: FastifyInstance, socketIp: string, headers: Record<string, string> = {}): Promise<string> {
  const email = `proxied-${randomUUID()}@example.com`;
  await app.platform.services.users.register({ email, password: PASSWORD, full_name: null });
  const login = await formLogin(app, socketIp, email, PASSWORD, headers);
  expect(login.statusCode, login.body).toBe(200);
  const sessions = await app.inject({
    method: 'GET',
    url: '/api/v1/sessions',
    headers: { authorization: `Bearer ${login.json().access_token}` },
  });
  const current = sessions.json().sessions.find((s: { is_current: boolean }) => s.is_current);
  return current.ip_address;
}

/** The auth budget's counter of `ip` in Redis (the embedded run counts in memory: nothing to read). */
const authCounter = (projectName: string, ip: string) => redis?.get(`${rateLimitKeyPrefix({ PROJECT_NAME: projectName })}auth:ip:${ip}`);

/** Spends the auth budget (3) of whoever the app takes the sender to be; the 4th attempt is refused. */
async function exhaustAuthBudget(app: FastifyInstance, socketIp: string, headers: Record<string, string>) {
  for (let i = 0; i < 3; i++) expect((await badLogin(app, socketIp, headers)).statusCode).toBe(401);
  const refused = await badLogin(app, socketIp, headers);
  expect(refused.statusCode).toBe(429);
  expect(refused.json()).toEqual(AUTH_EXCEEDED);
}

describe('TRUST_PROXY=1 (one proxy in front)', () => {
  it('a login through the proxy records the client behind it', async () => {
    expect(await sessionAddress(byHops, '127.0.0.1', forwardedFor(CLIENT))).toBe(CLIENT);
  });

  it('the rate limit counts that client, not the proxy', async () => {
    const [first, second] = ['203.0.113.10', '203.0.113.11'];
    await exhaustAuthBudget(byHops, '127.0.0.1', forwardedFor(first));
    // another client behind the same proxy has its own budget
    expect((await badLogin(byHops, '127.0.0.1', forwardedFor(second))).statusCode).toBe(401);
    if (redis) expect(await authCounter(hopsApps.projectName, first)).toBe('4');
  });

  it('only the last hop is believed: a client cannot pick its address by prepending to the header', async () => {
    expect(await sessionAddress(byHops, '127.0.0.1', forwardedFor(`198.51.100.66, ${CLIENT}`))).toBe(CLIENT);
  });
});

describe('TRUST_PROXY unset (the default)', () => {
  it('X-Forwarded-For is ignored: the session records the peer', async () => {
    expect(await sessionAddress(direct, '127.0.0.1', forwardedFor(CLIENT))).toBe('127.0.0.1');
  });

  it('the rate limit counts the peer, whatever the header says', async () => {
    const peer = freshIp();
    await exhaustAuthBudget(direct, peer, forwardedFor('203.0.113.20'));
    expect((await badLogin(direct, peer, forwardedFor('203.0.113.21'))).statusCode).toBe(429);
    if (redis) {
      expect(await authCounter(directApps.projectName, peer)).toBe('5');
      expect(await authCounter(directApps.projectName, '203.0.113.20')).toBeNull();
    }
  });
});

describe('TRUST_PROXY as a list of addresses and ranges', () => {
  it('a listed proxy is believed, through a chain of listed proxies', async () => {
    expect(await sessionAddress(byList, '10.1.2.3', forwardedFor(CLIENT))).toBe(CLIENT);
    expect(await sessionAddress(byList, '192.0.2.1', forwardedFor(`${CLIENT}, 10.0.0.5`))).toBe(CLIENT);
  });

  it('a peer not on the list is not: the session records the peer', async () => {
    const peer = freshIp();
    expect(await sessionAddress(byList, peer, forwardedFor(CLIENT))).toBe(peer);
  });

  it('the chain stops at the first address not on the list', async () => {
    expect(await sessionAddress(byList, '10.1.2.3', forwardedFor(`${CLIENT}, 198.51.100.20`))).toBe('198.51.100.20');
  });

  it('the rate limit counts the client a listed proxy names', async () => {
    const client = '203.0.113.30';
    await exhaustAuthBudget(byList, '10.9.9.9', forwardedFor(client));
    expect((await badLogin(byList, '10.9.9.9', forwardedFor('203.0.113.31'))).statusCode).toBe(401);
    if (redis) expect(await authCounter(listApps.projectName, client)).toBe('4');
  });
});
