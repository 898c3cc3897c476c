// Helpers for tests that run the worker: their own queues in a shared Redis, and polling.
import { Queue } from 'bullmq';
import type { Settings } from '@personal-automations/config';
import { QUEUE_NAMES, queueConnection, type JobInfo, type JobQueue } from '@personal-automations/services';

/** One of the BullMQ queues these settings name, to look at Redis itself (close it after use). */
export const openQueue = (settings: Settings, name: string): Queue =>
  new Queue(name, { connection: queueConnection(settings.TASKIQ_BROKER_URL), prefix: settings.JOB_QUEUE_PREFIX });

/** Deletes every queue under the settings' JOB_QUEUE_PREFIX from Redis (nothing to do without Redis). */
export async function removeQueues(settings: Settings): Promise<void> {
  if (!settings.redisEnabled) return;
  for (const name of Object.values(QUEUE_NAMES)) {
    const queue = openQueue(settings, name);
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** Polls `check` every 50 ms until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until job `id` is in `state`, and returns the job as read then (its result, attempts). */
export function waitForJobState<Data, Result>(queue: JobQueue<Data, Result>, id: string, state: 'completed' | 'failed'): Promise<JobInfo<Data, Result>> {
  return waitUntil(`job ${id} to be ${state}`, async () => {
    const job = await queue.getJob(id);
    return job?.state === state && job;
  });
}
