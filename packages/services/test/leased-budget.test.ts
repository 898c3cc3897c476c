// The request budget drawn from Redis in leases: exact for one process, never past the budget
// for several, one round trip per lease, and a lease ends with its window.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { afterAll, describe, expect, it } from 'vitest';
import { LeasedBudget } from '../src/limits/leased-budget.ts';

const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379/0');
afterAll(() => redis.quit());

/** A budget of `max` per `duration` seconds on a fresh Redis key prefix; `processes` holders of leases on it. */
function budget(max: number, leaseSize: number, duration = 60, processes = 1) {
  const keyPrefix = `leased-budget-test:${randomUUID()}`;
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix, points: max, duration });
  const holders = Array.from({ length: processes }, () => new LeasedBudget(limiter, { max, leaseSize, maxKeys: 100 }));
  const counter = async () => Number(await redis.get(`${keyPrefix}:client`));
  return { holders, counter };
}

describe('LeasedBudget', () => {
  it('in one process: every draw sees the remaining count it would have seen drawing one by one', async () => {
    const { holders, counter } = budget(100, 5);
    const [one] = holders as [LeasedBudget];
    const remaining: number[] = [];
    for (let i = 0; i < 100; i++) {
      const outcome = await one.consume('client', 1);
      expect(outcome.allowed).toBe(true);
      remaining.push(outcome.remaining);
      if (i === 0) expect(await counter()).toBe(5); // a lease of 5 points in one draw
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    const refused = await one.consume('client', 1);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.msBeforeNext).toBeGreaterThan(0);
    expect(await counter()).toBe(100);
  });

  it('in several processes: never more than the budget in all, at most a lease short of it each', async () => {
    const { holders } = budget(100, 5, 60, 3);
    let allowed = 0;
    for (let i = 0; i < 150; i++) if ((await holders[i % 3]!.consume('client', 1)).allowed) allowed++;
    expect(allowed).toBeLessThanOrEqual(100);
    expect(allowed).toBeGreaterThanOrEqual(100 - 3 * 4);
  });

  it('draws asked for at once share the lease being taken', async () => {
    const { holders, counter } = budget(100, 5);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => holders[0]!.consume('client', 1)));
    expect(outcomes.every((outcome) => outcome.allowed)).toBe(true);
    expect(new Set(outcomes.map((outcome) => outcome.remaining)).size).toBe(10);
    expect(await counter()).toBe(10);
  });

  it('a draw of more points than a lease takes them all at once; one the budget cannot cover is refused', async () => {
    const { holders, counter } = budget(20, 2);
    expect(await holders[0]!.consume('client', 12)).toMatchObject({ allowed: true, remaining: 8 });
    expect(await counter()).toBe(12);
    expect(await holders[0]!.consume('client', 9)).toMatchObject({ allowed: false, remaining: 0 });
    expect(await holders[0]!.consume('client', 1)).toMatchObject({ allowed: false });
  });

  it('a lease ends with its window', async () => {
    const { holders } = budget(2, 1, 1);
    const [one] = holders as [LeasedBudget];
    expect((await one.consume('client', 2)).allowed).toBe(true);
    expect((await one.consume('client', 1)).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await one.consume('client', 1)).toMatchObject({ allowed: true, remaining: 1 });
  });
});
