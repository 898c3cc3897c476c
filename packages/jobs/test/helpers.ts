// What the job runtime's tests share beyond @personal-automations/testing (useWorkerTest and the
// jobs-table run): a look into BullMQ's own queues, users to own webhooks and sessions, and the
// example tasks' queue on the run's job backend.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Settings } from '@personal-automations/config';
import type { Database } from '@personal-automations/db';
import { openPlatform } from '@personal-automations/platform';
import { queueConnection, type TaskQueue } from '@personal-automations/services';

export { jobsEnv, jobsInTable, useWorkerTest, type WorkerTestContext, waitUntil } from '@personal-automations/testing';

/** One of the BullMQ queues these settings name, to look at Redis itself (close it after use). */
export const openQueue = (settings: Settings, name: string): Queue =>
  new Queue(name, { connection: queueConnection(settings.TASKIQ_BROKER_URL), prefix: settings.JOB_QUEUE_PREFIX });

let users = 0;
export const createUser = (db: Database, role = 'user') =>
  db.user.create({ data: { email: `worker-${++users}-${randomBytes(3).toString('hex')}@example.com`, role } });

/** The example tasks' queue on these settings' job backend (Redis or the jobs table), and how to close it. */
export async function openTaskQueue(settings: Settings): Promise<{ tasks: TaskQueue; close(): Promise<void> }> {
  const platform = await openPlatform(settings);
  return { tasks: platform.services.tasks, close: () => platform.close() };
}
