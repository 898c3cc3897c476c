// The password-hashing gate: at most `concurrency` operations at once, the others wait in line
// for at most the queue timeout, then fail with 503 + Retry-After.
import { describe, expect, it } from 'vitest';
import { HASHING_BUSY, HashingGate, PasswordHasher } from '../src/auth/passwords.ts';
import { ServiceUnavailableError } from '../src/errors.ts';

/** A piece of work that runs until the test releases it, and counts how many run at once. */
function controlledWork() {
  const state = { running: 0, maxRunning: 0, started: 0 };
  const releases: Array<() => void> = [];
  const work = () =>
    new Promise<string>((resolve) => {
      state.running++;
      state.started++;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      releases.push(() => {
        state.running--;
        resolve('done');
      });
    });
  const releaseOne = async () => {
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { state, work, releaseOne };
}

describe('HashingGate', () => {
  it('runs at most `concurrency` at once, the rest in arrival order', async () => {
    const gate = new HashingGate({ concurrency: 2, queueTimeoutMs: 60_000 });
    const { state, work, releaseOne } = controlledWork();
    const results = Array.from({ length: 6 }, () => gate.run(work));
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.started).toBe(2);
    expect(gate.load).toEqual({ running: 2, waiting: 4 });
    for (let i = 0; i < 6; i++) await releaseOne();
    expect(await Promise.all(results)).toEqual(Array(6).fill('done'));
    expect(state.maxRunning).toBe(2);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('a waiter past the queue timeout fails with 503 + Retry-After and gives up its place', async () => {
    const gate = new HashingGate({ concurrency: 1, queueTimeoutMs: 30 });
    const { state, work, releaseOne } = controlledWork();
    const first = gate.run(work);
    const second = gate.run(work).catch((error: unknown) => error);
    const error = await second;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: HASHING_BUSY, retryAfter: 1 });
    expect(gate.load).toEqual({ running: 1, waiting: 0 });
    await releaseOne();
    expect(await first).toBe('done');
    // the place is free again: the next one runs at once
    const third = gate.run(work);
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.started).toBe(2);
    await releaseOne();
    expect(await third).toBe('done');
  });

  it('a failing operation frees its place', async () => {
    const gate = new HashingGate({ concurrency: 1, queueTimeoutMs: 60_000 });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'next')).toBe('next');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});

describe('PasswordHasher', () => {
  it('hashes and checks through the gate', async () => {
    const gate = new HashingGate({ concurrency: 1, queueTimeoutMs: 60_000 });
    const hasher = new PasswordHasher(gate);
    const stored = await hasher.hash('correct horse battery');
    const checks = await Promise.all([
      hasher.verify('correct horse battery', stored),
      hasher.verify('wrong', stored),
      hasher.verifyAgainstDummy('x'),
    ]);
    expect(checks.slice(0, 2)).toEqual([
      { ok: true, needsRehash: false },
      { ok: false, needsRehash: false },
    ]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});
