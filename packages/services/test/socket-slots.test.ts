// The per-user count of open agent sockets, on the real Redis (one instance per simulated API
// process) and in memory: the cap holds under concurrent takes, released slots are free again,
// a dead process's slots lapse while a live one's are renewed, and an unreachable Redis refuses
// no socket.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySocketSlots, RedisSocketSlots, type RedisSocketSlotsOptions } from '../src/agent/socket-slots.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
/** A prefix of this run's own, removed at the end. */
const PREFIX = `socket-slots-test-${randomUUID()}:agent-sockets:`;

const clients: Redis[] = [];
/** A client as the platform opens it: no offline queue, short command timeout. */
function fastClient(url = REDIS_URL): Redis {
  const client = new Redis(url, { enableOfflineQueue: false, commandTimeout: 1000, connectTimeout: 2000 });
  client.on('error', () => {});
  clients.push(client);
  return client;
}
async function connected(client: Redis): Promise<Redis> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

/** One API process's slots, on a Redis connection of its own. */
async function processSlots(options: Partial<RedisSocketSlotsOptions> = {}) {
  const redis = await connected(fastClient());
  return { redis, slots: new RedisSocketSlots({ redis, prefix: PREFIX, maxPerUser: 2, ...options }) };
}

afterAll(async () => {
  const admin = await connected(fastClient());
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length) await admin.del(...keys);
  for (const client of clients) client.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const user = () => randomUUID();

describe('in Redis, shared by every process', () => {
  it('concurrent takes from two processes never pass the cap', async () => {
    const [a, b] = [await processSlots({ maxPerUser: 3 }), await processSlots({ maxPerUser: 3 })];
    const id = user();
    const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).slots.acquire(id)));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(await a.redis.zcard(`${PREFIX}${id}`)).toBe(3);
  });

  it('a released slot is free again, for any process; other users are apart', async () => {
    const [a, b] = [await processSlots(), await processSlots()];
    const id = user();
    const first = await a.slots.acquire(id);
    expect(await b.slots.acquire(id)).toBeDefined();
    expect(await b.slots.acquire(id)).toBeUndefined();
    expect(await a.slots.acquire(user())).toBeDefined();
    await first!.release();
    await first!.release(); // twice is once
    expect(await b.slots.acquire(id)).toBeDefined();
    expect(await a.slots.acquire(id)).toBeUndefined();
  });

  it("a dead process's slots lapse after the lease; a live process's are renewed", async () => {
    const timing = { leaseMs: 2000, heartbeatMs: 200 };
    const [live, dying, other] = [await processSlots(timing), await processSlots(timing), await processSlots(timing)];
    const id = user();
    expect(await live.slots.acquire(id)).toBeDefined();
    expect(await dying.slots.acquire(id)).toBeDefined();
    dying.redis.disconnect(); // the process is gone: no renewal, no release
    await sleep(2 * timing.leaseMs);
    // the dead process's slot has lapsed; the live one, renewed, still counts
    expect(await other.slots.acquire(id)).toBeDefined();
    expect(await other.slots.acquire(id)).toBeUndefined();
  });

  it('Redis unreachable: sockets are not refused (the slot is not counted)', async () => {
    const redis = fastClient('redis://127.0.0.1:1/0');
    const slots = new RedisSocketSlots({ redis, prefix: PREFIX, maxPerUser: 1 });
    const id = user();
    const taken = [await slots.acquire(id), await slots.acquire(id), await slots.acquire(id)];
    expect(taken.every(Boolean)).toBe(true);
    await taken[0]!.release();
  });
});

describe('in memory, per process', () => {
  it('counts each user up to the cap and frees released slots', async () => {
    const slots = new MemorySocketSlots({ maxPerUser: 2 });
    const [id, other] = [user(), user()];
    const first = await slots.acquire(id);
    expect(await slots.acquire(id)).toBeDefined();
    expect(await slots.acquire(id)).toBeUndefined();
    expect(await slots.acquire(other)).toBeDefined();
    await first!.release();
    await first!.release();
    expect(await slots.acquire(id)).toBeDefined();
    expect(await slots.acquire(id)).toBeUndefined();
  });
});
