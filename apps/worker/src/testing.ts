// Helpers for tests that run the worker: their own queues in a shared Redis, and polling.
import { Queue, type Job } from 'bullmq';
import type { Settings } from '@personal-automations/config';
import { QUEUE_NAMES, queueConnection } from '@personal-automations/services';

/** One of the queues these settings name (close it after use). */
export const openQueue = (settings: Settings, name: string): Queue =>
  new Queue(name, { connection: queueConnection(settings.TASKIQ_BROKER_URL), prefix: settings.JOB_QUEUE_PREFIX });

/** Deletes every queue under the settings' JOB_QUEUE_PREFIX from Redis. */
export async function removeQueues(settings: Settings): Promise<void> {
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

/** Waits until job `id` is in `state`, and returns the job as read after that (its result, attempts). */
export function waitForJobState(queue: Queue, id: string, state: 'completed' | 'failed'): Promise<Job> {
  return waitUntil(`job ${id} to be ${state}`, async () => (await queue.getJobState(id)) === state && queue.getJob(id));
}
