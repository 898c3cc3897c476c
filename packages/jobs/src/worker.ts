// The worker: the outbox relay, the webhook delivery worker and the example-task worker, in whichever
// process runs it (apps/worker, the CLI's `worker run`, the API in embedded mode).
import { type DeliveryJobData, QUEUE_NAMES, retryDelayMs } from '@personal-automations/services';
import { observeQueues } from './metrics.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { deliveryProcessor } from './processors/deliveries.ts';
import { taskProcessor } from './processors/tasks.ts';
import { closeOnce, createRuntime, type RuntimeOptions, type Stoppable, startWorker } from './runtime.ts';

export type WorkerOptions = RuntimeOptions & { concurrency?: number };

/**
 * Starts processing at once and resolves without waiting for the job backend (the relay and the
 * workers keep retrying until it answers). close() stops the relay, lets in-flight jobs finish
 * (past WORKER_SHUTDOWN_GRACE_SECONDS the long-running task is returned to the queue) and closes
 * what it opened.
 */
export async function runWorker(options: WorkerOptions): Promise<Stoppable> {
  const { settings } = options;
  const concurrency = options.concurrency ?? settings.WORKER_CONCURRENCY;
  const runtime = await createRuntime(options, 'worker');
  const { logger, platform } = runtime;

  const deliveryQueue = platform.jobs.queue<DeliveryJobData>(QUEUE_NAMES.webhookDeliveries);
  const relay = new OutboxRelay({ db: platform.db, queue: deliveryQueue, settings, logger });

  const backoffMs = (attemptsMade: number) =>
    retryDelayMs(attemptsMade, settings.WEBHOOK_RETRY_BASE_DELAY_MS, settings.WEBHOOK_RETRY_MAX_DELAY_MS);
  const workers = [
    startWorker(runtime, QUEUE_NAMES.webhookDeliveries, deliveryProcessor(platform.services.deliveries, logger), {
      concurrency,
      backoffMs,
    }),
    startWorker(runtime, QUEUE_NAMES.tasks, taskProcessor(logger), { concurrency }),
  ];
  relay.start();
  const stopObserving = settings.METRICS_ENABLED ? observeQueues(platform) : () => {};
  logger.info({ concurrency, jobs: platform.parts.jobs }, 'worker started');

  return closeOnce(async () => {
    logger.info('worker stopping: finishing in-flight jobs');
    await relay.stop();
    const grace = setTimeout(() => {
      logger.warn('shutdown grace period over: returning cancellable jobs to the queue');
      for (const worker of workers) worker.cancelAll('worker shutting down');
    }, settings.WORKER_SHUTDOWN_GRACE_SECONDS * 1000);
    try {
      await Promise.all(workers.map((worker) => worker.close()));
    } finally {
      clearTimeout(grace);
    }
    stopObserving();
    await runtime.close();
    logger.info('worker stopped');
  });
}
