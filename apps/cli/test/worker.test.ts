// worker run / worker scheduler start the real job runtime (@personal-automations/jobs), run until
// SIGTERM and exit 0.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings, readEnvFile } from '@personal-automations/config';
import { useTestDatabase } from '@personal-automations/testing';
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
});
