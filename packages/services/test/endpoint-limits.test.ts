// The delivery worker's bound on attempts in flight to one receiver (WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT):
// the bound holds per origin, a freed slot goes to the longest waiter, an attempt that waits past
// the slot wait is refused (its job is deferred), and a deferred job's wait grows with the backlog.
// And the Batcher that runs the worker's row reads and writes for many attempts at once.
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.ts';
import { EndpointLimits } from '../src/webhooks/endpoint-limits.ts';

const A = 'http://127.0.0.1:9001/hook';
const B = 'http://127.0.0.1:9002/hook';

describe('EndpointLimits', () => {
  it('gives at most the bound of slots to one origin, whatever the path, and other origins their own', async () => {
    const limits = new EndpointLimits(2, { slotWaitMs: 20 });
    const first = await limits.acquire(A);
    const second = await limits.acquire(`${A}/other-path`);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(await limits.acquire(A)).toBeNull(); // refused after the slot wait
    expect(await limits.acquire(B)).not.toBeNull();
    first!();
    first!(); // releasing twice frees one slot only
    expect(await limits.acquire(A)).not.toBeNull();
    expect(await limits.acquire(A)).toBeNull();
  });

  it('hands a released slot to the attempt that has waited longest', async () => {
    const limits = new EndpointLimits(1, { slotWaitMs: 10_000 });
    const held = await limits.acquire(A);
    const order: string[] = [];
    const waiting = ['first', 'second'].map(async (name) => {
      const release = await limits.acquire(A);
      order.push(name);
      return release;
    });
    held!();
    const release = await waiting[0];
    expect(order).toEqual(['first']);
    release!();
    await waiting[1];
    expect(order).toEqual(['first', 'second']);
  });

  it('defers a job about a second, and longer as the receiver’s backlog grows, never past a minute', () => {
    const limits = new EndpointLimits(2, { random: () => 0.5 });
    const delays = Array.from({ length: 6 }, () => limits.deferMs(A));
    expect(delays).toEqual([1000, 1000, 2000, 2000, 3000, 3000]);
    expect(limits.deferMs(B)).toBe(1000);
    const busy = new EndpointLimits(1, { random: () => 0.5 });
    for (let i = 0; i < 100; i++) busy.deferMs(A);
    expect(busy.deferMs(A)).toBe(60_000);
  });
});

describe('Batcher', () => {
  it('runs the calls of one turn together, and grows the next batch while the limit of runs is busy', async () => {
    const runs: number[][] = [];
    let finish: () => void = () => {};
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        runs.push(inputs);
        if (runs.length === 1) await new Promise<void>((resolve) => (finish = resolve));
        return inputs.map((n) => n * 2);
      },
      { maxInFlight: 1 },
    );
    const first = [1, 2, 3].map((n) => batcher.call(n));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [4, 5].map((n) => batcher.call(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([[1, 2, 3]]); // the second batch waits for the first
    finish();
    expect(await Promise.all([...first, ...later])).toEqual([2, 4, 6, 8, 10]);
    expect(runs).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('fails every call of a failed run, and keeps a batch within its size', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        sizes.push(inputs.length);
        if (inputs.includes(0)) throw new Error('boom');
        return inputs;
      },
      { maxSize: 2 },
    );
    const results = await Promise.allSettled([0, 1, 2, 3].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(sizes).toEqual([2, 2]);
  });
});
