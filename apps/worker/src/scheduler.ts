// The scheduler process: registers the periodic jobs in Redis (idempotently, so several
// schedulers may run) and runs them. Each runs once at start, then every MAINTENANCE_INTERVAL_SECONDS.
import { Queue } from 'bullmq';
import type { Settings } from '@personal-automations/config';
import { MAINTENANCE_JOBS, QUEUE_NAMES, queueConnection } from '@personal-automations/services';
import { maintenanceProcessor } from './processors/maintenance.ts';
import { closeOnce, createRuntime, startWorker } from './runtime.ts';

const KEEP_RUNS = { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } };

export async function runScheduler({ settings }: { settings: Settings }): Promise<{ close(): Promise<void> }> {
  const runtime = createRuntime(settings, 'scheduler');
  const { logger } = runtime;
  // Registration waits for Redis rather than failing: a scheduler started before Redis just starts late.
  const queue = new Queue(QUEUE_NAMES.maintenance, { connection: queueConnection(runtime.queue.url), prefix: runtime.queue.prefix });
  queue.on('error', () => {});
  const every = settings.MAINTENANCE_INTERVAL_SECONDS * 1000;
  for (const name of Object.values(MAINTENANCE_JOBS)) {
    await queue.upsertJobScheduler(name, { every }, { name, opts: KEEP_RUNS });
  }
  const worker = startWorker(runtime, QUEUE_NAMES.maintenance, maintenanceProcessor(runtime.services.maintenance, settings, logger), { concurrency: 1 });
  logger.info({ everySeconds: settings.MAINTENANCE_INTERVAL_SECONDS, jobs: Object.values(MAINTENANCE_JOBS) }, 'scheduler started');

  return closeOnce(async () => {
    logger.info('scheduler stopping');
    await worker.close();
    await queue.close();
    await runtime.close();
    logger.info('scheduler stopped');
  });
}
