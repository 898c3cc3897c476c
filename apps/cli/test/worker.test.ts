// worker run / worker scheduler start the real worker package, run until SIGTERM and exit 0.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadSettings, readEnvFile } from '@personal-automations/config';
import { useTestDatabase } from '@personal-automations/testing';
import { isMissingWorker } from '../src/lib/worker.ts';
import { collect, startCli, waitForOutput } from './helpers.ts';

const db = useTestDatabase();
// queues of their own, so these processes never take jobs meant for another test run
const prefix = `pa-cli-test-${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  const redis = new Redis(loadSettings({ ...readEnvFile(), ...process.env }).TASKIQ_BROKER_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});

async function runUntilTerm(args: string[], started: RegExp) {
  const child = startCli(args, { databaseUrl: db.url, env: { JOB_QUEUE_PREFIX: prefix } });
  const finished = collect(child);
  const output = await waitForOutput(child, started);
  child.kill('SIGTERM');
  return { output, ...(await finished) };
}

describe('worker commands', () => {
  it('worker run --concurrency starts the worker, and SIGTERM stops it with exit 0', async () => {
    const result = await runUntilTerm(['worker', 'run', '--concurrency', '2'], /Worker running \(concurrency 2\)/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/SIGTERM: stopping the worker\.\.\.\nWorker stopped\.\n/);
  });

  it('worker scheduler starts the scheduler, and SIGTERM stops it with exit 0', async () => {
    const result = await runUntilTerm(['worker', 'scheduler'], /Scheduler running/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Scheduler stopped.');
  });

  it('tells a missing worker package from a module missing inside it', () => {
    const notFound = (message: string) => Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(isMissingWorker(notFound("Cannot find package '@personal-automations/worker' imported from /x/cli/src/lib/worker.ts"))).toBe(true);
    expect(isMissingWorker(notFound("Cannot find module '/x/node_modules/@personal-automations/worker/src/index.ts' imported from /x/worker.ts"))).toBe(true);
    expect(isMissingWorker(notFound("Cannot find package 'bullmq' imported from /x/apps/worker/src/worker.ts"))).toBe(false);
    expect(isMissingWorker(new Error('boom'))).toBe(false);
  });
});
