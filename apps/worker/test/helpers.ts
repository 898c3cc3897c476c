// Each test file: its own migrated database and its own job-queue prefix in the shared Redis.
// The suite runs twice: on BullMQ and Redis, and with TEST_MODE=jobs-table on the database's jobs
// table (no Redis); files about Redis itself are left out of the second run (vitest.config.ts).
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll } from 'vitest';
import { loadSettings, readEnvFile, SERVER_VARIABLES, type Settings } from '@personal-automations/config';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { openPlatform } from '@personal-automations/platform';
import { queueConnection, type TaskQueue } from '@personal-automations/services';
import { removeQueues, useTestDatabase } from '@personal-automations/testing';

export { waitUntil } from '@personal-automations/testing';

export type WorkerTestContext = { settings: Settings; db: Database };

/** This run keeps the jobs in the database's jobs table, with no Redis. */
export const jobsInTable = process.env.TEST_MODE === 'jobs-table';

/** The variables that put the jobs where this run wants them, for the settings and for child processes. */
export const jobsEnv: Record<string, string> = jobsInTable
  ? Object.fromEntries(SERVER_VARIABLES.filter((name) => name.startsWith('REDIS_') || name === 'TASKIQ_BROKER_URL').map((name) => [name, '']))
  : { REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379/0' };

/** One of the BullMQ queues these settings name, to look at Redis itself (close it after use). */
export const openQueue = (settings: Settings, name: string): Queue =>
  new Queue(name, { connection: queueConnection(settings.TASKIQ_BROKER_URL), prefix: settings.JOB_QUEUE_PREFIX });

export function testSettings(databaseUrl: string, prefix: string, overrides: Record<string, string> = {}): Settings {
  return loadSettings({
    ...readEnvFile(),
    ...process.env,
    DATABASE_URL: databaseUrl,
    ...jobsEnv,
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

/** The example tasks' queue on these settings' job backend (Redis or the jobs table), and how to close it. */
export async function openTaskQueue(settings: Settings): Promise<{ tasks: TaskQueue; close(): Promise<void> }> {
  const platform = await openPlatform(settings);
  return { tasks: platform.services.tasks, close: () => platform.close() };
}
