// The worker process: the outbox relay, the webhook delivery worker and the example-task worker.
import { Queue } from 'bullmq';
import type { Settings } from '@personal-automations/config';
import { createProducerRedis, QUEUE_NAMES, retryDelayMs, type DeliveryJobData } from '@personal-automations/services';
import { OutboxRelay } from './outbox-relay.ts';
import { deliveryProcessor } from './processors/deliveries.ts';
import { taskProcessor } from './processors/tasks.ts';
import { closeOnce, createRuntime, startWorker } from './runtime.ts';

export type WorkerOptions = { settings: Settings; concurrency?: number };

/**
 * Starts processing at once and resolves without waiting for Redis (the relay and BullMQ keep
 * retrying until it answers). close() stops the relay, lets in-flight jobs finish (past
 * WORKER_SHUTDOWN_GRACE_SECONDS the long-running task is returned to the queue) and closes
 * every connection.
 */
export async function runWorker({ settings, concurrency = settings.WORKER_CONCURRENCY }: WorkerOptions): Promise<{ close(): Promise<void> }> {
  const runtime = createRuntime(settings, 'worker');
  const { logger, services } = runtime;

  const producer = createProducerRedis(runtime.queue.url);
  const deliveryQueue = new Queue<DeliveryJobData>(QUEUE_NAMES.webhookDeliveries, { connection: producer, prefix: runtime.queue.prefix });
  deliveryQueue.on('error', () => {}); // the relay logs its failed rounds
  const relay = new OutboxRelay({ db: runtime.db, queue: deliveryQueue, redis: producer, settings, logger });

  const backoffStrategy = (attemptsMade: number) => retryDelayMs(attemptsMade, settings.WEBHOOK_RETRY_BASE_DELAY_MS, settings.WEBHOOK_RETRY_MAX_DELAY_MS);
  const workers = [
    startWorker(runtime, QUEUE_NAMES.webhookDeliveries, deliveryProcessor(services.deliveries), { concurrency, settings: { backoffStrategy } }),
    startWorker(runtime, QUEUE_NAMES.tasks, taskProcessor(logger), { concurrency }),
  ];
  relay.start();
  logger.info({ concurrency, prefix: runtime.queue.prefix }, 'worker started');

  return closeOnce(async () => {
    logger.info('worker stopping: finishing in-flight jobs');
    await relay.stop();
    const grace = setTimeout(() => {
      logger.warn('shutdown grace period over: returning cancellable jobs to the queue');
      for (const worker of workers) worker.cancelAllJobs('worker shutting down');
    }, settings.WORKER_SHUTDOWN_GRACE_SECONDS * 1000);
    try {
      await Promise.all(workers.map((worker) => worker.close()));
    } finally {
      clearTimeout(grace);
    }
    await deliveryQueue.close();
    producer.disconnect();
    await runtime.close();
    logger.info('worker stopped');
  });
}
