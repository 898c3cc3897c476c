// What the worker and the scheduler processes share: settings, a logger, the database, the
// services, and how a BullMQ worker is started and logged.
import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Settings } from '@personal-automations/config';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { createServices, queueConnection, queueLocation, type Services } from '@personal-automations/services';

export type Runtime = {
  settings: Settings;
  logger: Logger;
  db: Database;
  services: Services;
  queue: { url: string; prefix: string };
  close(): Promise<void>;
};

export function createRuntime(settings: Settings, component: 'worker' | 'scheduler'): Runtime {
  const logger = pino({ level: settings.LOG_LEVEL, base: { component } });
  const db = createPrismaClient({
    url: settings.databaseUrl,
    maxConnections: settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW,
    poolTimeoutSeconds: settings.DB_POOL_TIMEOUT,
    logQueries: settings.DEBUG,
  });
  // The services take the API's Redis client for readiness checks, which these processes never
  // run: a lazy client that never connects.
  const apiRedis = new Redis(settings.redisUrl, { lazyConnect: true });
  const services = createServices({ db, redis: apiRedis, settings });
  const queue = queueLocation(settings);
  return {
    settings,
    logger,
    db,
    services,
    queue,
    async close() {
      await services.tasks.close();
      apiRedis.disconnect();
      await db.$disconnect();
    },
  };
}

/** A BullMQ worker on `queueName` whose failures and connection problems are logged. */
export function startWorker<Data, Result>(
  runtime: Runtime,
  queueName: string,
  processor: Processor<Data, Result>,
  options: Partial<WorkerOptions> = {},
): Worker<Data, Result> {
  const { logger } = runtime;
  const worker = new Worker<Data, Result>(queueName, processor, { connection: queueConnection(runtime.queue.url), prefix: runtime.queue.prefix, ...options });
  let lastError = '';
  worker.on('error', (error) => {
    // Redis being away repeats the same error every few seconds: log each new one once.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ queue: queueName, err: error.message }, 'queue connection error');
  });
  worker.on('ready', () => {
    if (lastError) logger.info({ queue: queueName }, 'queue connection restored');
    lastError = '';
  });
  worker.on('failed', (job, error) => {
    logger.warn({ queue: queueName, job: job?.name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: error.message }, 'job attempt failed');
  });
  worker.on('completed', (job) => logger.debug({ queue: queueName, job: job.name, jobId: job.id }, 'job completed'));
  return worker;
}

/** `close` made idempotent: a second call (a second signal) waits for the first. */
export function closeOnce(close: () => Promise<void>): { close(): Promise<void> } {
  let closing: Promise<void> | undefined;
  return { close: () => (closing ??= close()) };
}
