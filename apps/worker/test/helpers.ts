// Each test file: its own migrated database and its own job-queue prefix in the shared Redis.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { loadSettings, readEnvFile, type Settings } from '@personal-automations/config';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { BullmqJobBackend, QUEUE_NAMES, queueLocation, TaskQueue, type TaskData, type TaskResult } from '@personal-automations/services';
import { useTestDatabase } from '@personal-automations/testing';
import { removeQueues } from '../src/testing.ts';

export { openQueue, waitUntil } from '../src/testing.ts';

export type WorkerTestContext = { settings: Settings; db: Database };

export function testSettings(databaseUrl: string, prefix: string, overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    ...readEnvFile(),
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379/0',
    LOG_LEVEL: 'silent',
    JOB_QUEUE_PREFIX: prefix,
    OUTBOX_POLL_INTERVAL_MS: '50',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    ...overrides,
  });
}

export function useWorkerTest(overrides: Record<string, string> = {}): WorkerTestContext {
  const database = useTestDatabase();
  const prefix = `pa_test_${randomBytes(5).toString('hex')}`;
  const context = {} as WorkerTestContext;
  beforeAll(() => {
    context.settings = testSettings(database.url, prefix, overrides);
    context.db = createPrismaClient({ url: database.url });
  });
  afterAll(async () => {
    if (context.settings) await removeQueues(context.settings);
    await context.db?.$disconnect();
  });
  return context;
}

let users = 0;
export const createUser = (db: Database, role = 'user') =>
  db.user.create({ data: { email: `worker-${++users}-${randomBytes(3).toString('hex')}@example.com`, role } });

/** The example tasks' queue on these settings' Redis, and how to close its connections. */
export function openTaskQueue(settings: Settings): { tasks: TaskQueue; close(): Promise<void> } {
  const backend = new BullmqJobBackend(queueLocation(settings));
  return { tasks: new TaskQueue(backend.queue<TaskData, TaskResult>(QUEUE_NAMES.tasks)), close: () => backend.close() };
}
