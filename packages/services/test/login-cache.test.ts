// The login cache keeps a validated login only while every change to it would be heard of: news
// about its session or its account drops it (also news from another process, over Redis), a read
// that raced news is not kept, and nothing is trusted while the Redis subscription is down or
// from before it went down.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { User as UserRow } from '@personal-automations/db';
import { openTcpProxy } from '@personal-automations/testing';
import { LoginCache } from '../src/auth/login-cache.ts';
import { LocalRevocationBus, RedisRevocationBus, type RevocationBus } from '../src/auth/revocations.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
const HOUR_MS = 3_600_000;

const login = (sessionId: string, userId = 'user-1') => ({
  user: { id: userId } as UserRow,
  sessionId,
  sessionExpiresAt: Date.now() + HOUR_MS,
});

const closers: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function cacheOn(news: RevocationBus, options: { maxEntries?: number; ttlMs?: number } = {}): LoginCache {
  const cache = new LoginCache({ news, maxEntries: options.maxEntries ?? 100, ttlMs: options.ttlMs ?? 30_000 });
  closers.push(() => cache.close());
  return cache;
}

describe('in one process', () => {
  it('keeps a login and gives it back', () => {
    const cache = cacheOn(new LocalRevocationBus());
    cache.keep(login('s1'), Date.now());
    expect(cache.get('s1')?.user.id).toBe('user-1');
    expect(cache.get('s2')).toBeUndefined();
  });

  it('keeps nothing with a TTL of 0, and nothing past the session’s expiry', () => {
    const off = cacheOn(new LocalRevocationBus(), { ttlMs: 0 });
    off.keep(login('s1'), Date.now());
    expect(off.get('s1')).toBeUndefined();
    const cache = cacheOn(new LocalRevocationBus());
    cache.keep({ ...login('s2'), sessionExpiresAt: Date.now() - 1 }, Date.now());
    expect(cache.get('s2')).toBeUndefined();
  });

  it('keeps at most maxEntries logins', () => {
    const cache = cacheOn(new LocalRevocationBus(), { maxEntries: 2 });
    for (const id of ['s1', 's2', 's3']) cache.keep(login(id), Date.now());
    expect(['s1', 's2', 's3'].map((id) => cache.get(id) !== undefined)).toEqual([false, true, true]);
  });

  it('drops a login on news of its session, or of its account (revoked or changed)', async () => {
    const bus = new LocalRevocationBus();
    const cache = cacheOn(bus);
    for (const [sid, user] of [
      ['a', 'u1'],
      ['b', 'u2'],
      ['c', 'u2'],
      ['d', 'u3'],
      ['e', 'u4'],
    ] as const) {
      cache.keep(login(sid, user), Date.now());
    }
    await bus.publish({ sessionIds: ['a'] });
    await bus.publish({ userId: 'u2' });
    await bus.publish({ userChanged: 'u3' });
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => cache.get(id) !== undefined)).toEqual([false, false, false, false, true]);
  });

  it('does not keep a login read before news about it arrived', async () => {
    const bus = new LocalRevocationBus();
    const cache = cacheOn(bus);
    const readStartedAt = Date.now() - 5;
    await bus.publish({ sessionIds: ['s1'] });
    await bus.publish({ userChanged: 'u2' });
    cache.keep(login('s1'), readStartedAt);
    cache.keep(login('s2', 'u2'), readStartedAt);
    expect(cache.get('s1')).toBeUndefined();
    expect(cache.get('s2')).toBeUndefined();
  });
});

describe('across processes (Redis)', () => {
  async function redisBus(subscriberUrl = REDIS_URL, channel = `login-cache-test:${randomUUID()}`) {
    const publisher = new Redis(REDIS_URL);
    const bus = new RedisRevocationBus({
      publisher,
      openSubscriber: () => new Redis(subscriberUrl, { maxRetriesPerRequest: null }),
      channel,
    });
    closers.push(() => publisher.quit());
    closers.push(() => bus.close());
    await bus.listen();
    return { bus, channel };
  }

  it('drops a login on news another process publishes', async () => {
    const here = await redisBus();
    const there = await redisBus(REDIS_URL, here.channel);
    const cache = cacheOn(here.bus);
    cache.keep(login('s1'), Date.now());
    await there.bus.publish({ sessionIds: ['s1'] });
    await expect.poll(() => cache.get('s1'), { timeout: 2000, interval: 5 }).toBeUndefined();
  });

  it('trusts nothing while the subscription is down, nor what it kept before', async () => {
    const proxy = await openTcpProxy(REDIS_URL);
    closers.push(() => proxy.stop());
    const { bus } = await redisBus(proxy.url);
    const cache = cacheOn(bus);
    expect(bus.live).toBe(true);
    cache.keep(login('s1'), Date.now());
    expect(cache.get('s1')).toBeDefined();

    await proxy.stop();
    await expect.poll(() => bus.live, { timeout: 5000, interval: 10 }).toBe(false);
    cache.keep(login('s2'), Date.now());
    expect(cache.get('s1')).toBeUndefined();
    expect(cache.get('s2')).toBeUndefined();

    await proxy.start();
    await expect.poll(() => bus.live, { timeout: 10_000, interval: 20 }).toBe(true);
    expect(cache.get('s1')).toBeUndefined();
    cache.keep(login('s3'), Date.now());
    expect(cache.get('s3')).toBeDefined();
  });
});
