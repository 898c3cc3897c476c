// The worker: the outbox relay, the webhook delivery worker and the example-task worker, in whichever
// process runs it (apps/worker, the CLI's `worker run`, the API in embedded mode).
import { listenForNotifications, type NotificationListener } from '@personal-automations/db';
import { type DeliveryJobData, QUEUE_NAMES, retryDelayMs } from '@personal-automations/services';
import { observeQueues } from './metrics.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { deliveryProcessor } from './processors/deliveries.ts';
import { taskProcessor } from './processors/tasks.ts';
import { closeOnce, createRuntime, type Runtime, type RuntimeOptions, type Stoppable, startWorker } from './runtime.ts';

export type WorkerOptions = RuntimeOptions & {
  /** Example tasks run at once (default WORKER_CONCURRENCY). */
  concurrency?: number;
  /** Webhook delivery attempts run at once (default WEBHOOK_CONCURRENCY). */
  deliveryConcurrency?: number;
};

/** The channel the outbox_events trigger notifies when events commit (prisma/migrations/*_outbox_notify). */
export const OUTBOX_CHANNEL = 'outbox_events';

/**
 * On PostgreSQL the relay is woken by the commit of new events; the embedded database serves one
 * connection, which cannot be held for LISTEN, so there the relay polls alone.
 */
function wakeOnCommit(runtime: Runtime, relay: OutboxRelay): NotificationListener | undefined {
  const { settings, logger, platform } = runtime;
  if (platform.parts.database !== 'postgresql') return undefined;
  return listenForNotifications({
    url: settings.databaseUrl,
    channel: OUTBOX_CHANNEL,
    onNotify: () => relay.wake(),
    onError: (error) => logger.warn({ err: error.message }, 'outbox listener lost its connection; the relay polls until it is back'),
  });
}

/**
 * Starts processing at once and resolves without waiting for the job backend (the relay and the
 * workers keep retrying until it answers). close() stops the relay, lets in-flight jobs finish
 * (past WORKER_SHUTDOWN_GRACE_SECONDS the long-running task is returned to the queue) and closes
 * what it opened.
 */
export async function runWorker(options: WorkerOptions): Promise<Stoppable> {
  const { settings } = options;
  const concurrency = options.concurrency ?? settings.WORKER_CONCURRENCY;
  const deliveryConcurrency = options.deliveryConcurrency ?? settings.WEBHOOK_CONCURRENCY;
  const runtime = await createRuntime(options, 'worker');
  const { logger, platform } = runtime;

  const deliveryQueue = platform.jobs.queue<DeliveryJobData>(QUEUE_NAMES.webhookDeliveries);
  const relay = new OutboxRelay({ db: platform.db, queue: deliveryQueue, settings, logger });

  const backoffMs = (attemptsMade: number) =>
    retryDelayMs(attemptsMade, settings.WEBHOOK_RETRY_BASE_DELAY_MS, settings.WEBHOOK_RETRY_MAX_DELAY_MS);
  const workers = [
    startWorker(runtime, QUEUE_NAMES.webhookDeliveries, deliveryProcessor(platform.services.deliveries, logger), {
      concurrency: deliveryConcurrency,
      backoffMs,
    }),
    startWorker(runtime, QUEUE_NAMES.tasks, taskProcessor(logger), { concurrency }),
  ];
  relay.start();
  const stopObserving = settings.METRICS_ENABLED ? observeQueues(platform) : () => {};
  const listener = wakeOnCommit(runtime, relay);
  logger.info({ concurrency, deliveryConcurrency, jobs: platform.parts.jobs, wakeOnCommit: listener !== undefined }, 'worker started');

  return closeOnce(async () => {
    logger.info('worker stopping: finishing in-flight jobs');
    await listener?.close();
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
