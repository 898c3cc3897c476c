// What the worker and the scheduler share: the platform (database, job backend, services), a
// logger, the metrics endpoint of a process of their own, and how a job worker is started,
// logged and timed.
import { type Logger, pino } from 'pino';
import type { Settings } from '@personal-automations/config';
import { logOptions, type MetricsServer, startMetricsServer } from '@personal-automations/observability';
import { openPlatform, type Platform } from '@personal-automations/platform';
import type { JobProcessor, JobWorker, JobWorkerOptions } from '@personal-automations/services';
import { timedProcessor } from './metrics.ts';

export type Runtime = {
  settings: Settings;
  logger: Logger;
  platform: Platform;
  /** Closes the platform when this runtime opened it; a platform handed in belongs to its opener. */
  close(): Promise<void>;
};

export type RuntimeOptions = {
  settings: Settings;
  /** Run on the parts of a process that already opened them (the API in embedded mode); else open them. */
  platform?: Platform;
  logger?: Logger;
};

/** A process's own logger at LOG_LEVEL, writing where logOptions says (its `stream` is pino's second argument). */
function ownLogger(settings: Settings, component: 'worker' | 'scheduler'): Logger {
  const { stream, ...options } = logOptions(settings);
  return pino({ level: settings.LOG_LEVEL, base: { component }, ...options }, stream);
}

export async function createRuntime({ settings, platform, logger }: RuntimeOptions, component: 'worker' | 'scheduler'): Promise<Runtime> {
  const log = logger?.child({ component }) ?? ownLogger(settings, component);
  const owned = platform === undefined;
  const opened = platform ?? (await openPlatform(settings));
  // A process of its own (the worker, the scheduler) serves its metrics; on a platform handed in,
  // the process that opened it (the API) does.
  let metrics: MetricsServer | undefined;
  if (owned && settings.METRICS_ENABLED)
    metrics = await startMetricsServer({ host: settings.METRICS_HOST, port: settings.METRICS_PORT }, log);
  return {
    settings,
    logger: log,
    platform: opened,
    close: async () => {
      await metrics?.close();
      if (owned) await opened.close();
    },
  };
}

/** A job worker on `queueName` whose failures and connection problems are logged. */
export function startWorker<Data, Result>(
  runtime: Runtime,
  queueName: string,
  processor: JobProcessor<Data, Result>,
  options: Pick<JobWorkerOptions, 'concurrency' | 'backoffMs'>,
): JobWorker {
  const { logger } = runtime;
  return runtime.platform.jobs.work(queueName, timedProcessor(queueName, processor), {
    ...options,
    onConnectionError: (error) => logger.warn({ queue: queueName, err: error.message }, 'queue connection error'),
    onConnectionRestored: () => logger.info({ queue: queueName }, 'queue connection restored'),
    onFailed: (job, error) =>
      logger.warn(
        { queue: queueName, job: job.name, jobId: job.id, attemptsMade: job.attemptsMade, err: error.message },
        'job attempt failed',
      ),
    onCompleted: (job) => logger.debug({ queue: queueName, job: job.name, jobId: job.id }, 'job completed'),
  });
}

/** A running worker or scheduler. */
export type Stoppable = { close(): Promise<void> };

/** `close` made idempotent: a second call (a second signal) waits for the first. */
export function closeOnce(close: () => Promise<void>): Stoppable {
  let closing: Promise<void> | undefined;
  return { close: () => (closing ??= close()) };
}
