// Helpers for tests (and the webhook benchmark) that run the job runtime on Redis: remove a run's
// queues, and wait for a job to finish. Nothing here imports vitest, so a plain program may use it.
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import type { Settings } from '@personal-automations/config';
import { waitUntil } from './wait.ts';

/**
 * Deletes every job-queue key under the settings' JOB_QUEUE_PREFIX from Redis (nothing to do
 * without Redis). Each test file and benchmark has a prefix of its own, so this removes exactly
 * its queues, whichever they were, without knowing their names.
 */
export async function removeQueues(settings: Settings): Promise<void> {
  if (!settings.redisEnabled) return;
  const redis = new Redis(settings.TASKIQ_BROKER_URL, { maxRetriesPerRequest: 1 });
  try {
    const keys = await redis.keys(`${settings.JOB_QUEUE_PREFIX}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** A job as a queue reports it; the job interface's JobInfo fits (this package sits below packages/services). */
type ReadableJob = { state: string };

/** Waits until job `id` is in `state`, and returns the job as read then (its result, attempts). */
export function waitForJobState<Job extends ReadableJob>(
  queue: { getJob(id: string): Promise<Job | null> },
  id: string,
  state: 'completed' | 'failed',
): Promise<Job> {
  return waitUntil(`job ${id} to be ${state}`, async () => {
    const job = await queue.getJob(id);
    return job?.state === state && job;
  });
}

/**
 * Redis connections for one test file whose keys all start with `prefix` (a prefix of the run's
 * own): `client()` opens one; after the file, the keys under the prefix are deleted and every
 * connection is closed.
 */
export function useRedisClients(prefix: string, url = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0'): { client: () => Redis } {
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(url, { connectTimeout: 2000 });
    redis.on('error', () => {}); // the outage tests stop Redis on purpose
    clients.push(redis);
    return redis;
  };
  afterAll(async () => {
    const admin = client();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    for (const redis of clients) redis.disconnect();
  });
  return { client };
}
