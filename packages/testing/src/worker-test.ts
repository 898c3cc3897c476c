// The context of a test file that runs the job runtime (the worker, the scheduler, the outbox
// relay): its own migrated database and its own job-queue prefix in the shared Redis. Those suites
// run twice: on BullMQ and Redis, and with TEST_MODE=jobs-table on the database's jobs table (no
// Redis); files about Redis itself are left out of the second run (their vitest.config.ts).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { loadSettings, readEnvFile, SERVER_VARIABLES, type Settings } from '@personal-automations/config';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { useTestDatabase } from './database.ts';
import { isJobsTableTestMode } from './mode.ts';
import { removeQueues } from './queues.ts';

export type WorkerTestContext = { settings: Settings; db: Database };

/** This run keeps the jobs in the database's jobs table, with no Redis. */
export const jobsInTable = isJobsTableTestMode();

/** The variables that put the jobs where this run wants them, for the settings and for child processes. */
export const jobsEnv: Record<string, string> = jobsInTable
  ? Object.fromEntries(
      SERVER_VARIABLES.filter((name) => name.startsWith('REDIS_') || name === 'TASKIQ_BROKER_URL').map((name) => [name, '']),
    )
  : { REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379/0' };

/** Settings on `databaseUrl` with the queue prefix `prefix`, quick outbox polling and private webhook targets allowed. */
export function workerTestSettings(databaseUrl: string, prefix: string, overrides: Record<string, string> = {}): Settings {
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

/** Registers the hooks that make (and afterwards remove) this file's database, queue prefix and Prisma client; read the context inside tests. */
export function useWorkerTest(overrides: Record<string, string> = {}): WorkerTestContext {
  const database = useTestDatabase();
  const prefix = `pa_test_${randomBytes(5).toString('hex')}`;
  const context = {} as WorkerTestContext;
  beforeAll(() => {
    context.settings = workerTestSettings(database.url, prefix, overrides);
    context.db = createPrismaClient({ url: database.url });
  });
  afterAll(async () => {
    if (context.settings) await removeQueues(context.settings);
    await context.db?.$disconnect();
  });
  return context;
}
