// The scheduler: registers the periodic jobs (idempotently, so several schedulers may
// run) and runs them. Each runs once at start, then every MAINTENANCE_INTERVAL_SECONDS.
import { MAINTENANCE_JOBS, QUEUE_NAMES } from '@personal-automations/services';
import { maintenanceProcessor } from './processors/maintenance.ts';
import { closeOnce, createRuntime, type RuntimeOptions, type Stoppable, startWorker } from './runtime.ts';

export async function runScheduler(options: RuntimeOptions): Promise<Stoppable> {
  const { settings } = options;
  const runtime = await createRuntime(options, 'scheduler');
  const { logger, platform } = runtime;
  const every = settings.MAINTENANCE_INTERVAL_SECONDS * 1000;
  for (const name of Object.values(MAINTENANCE_JOBS)) await platform.jobs.repeat(QUEUE_NAMES.maintenance, name, every);
  const worker = startWorker(runtime, QUEUE_NAMES.maintenance, maintenanceProcessor(platform.services.maintenance, settings, logger), {
    concurrency: 1,
  });
  logger.info({ everySeconds: settings.MAINTENANCE_INTERVAL_SECONDS, jobs: Object.values(MAINTENANCE_JOBS) }, 'scheduler started');

  return closeOnce(async () => {
    logger.info('scheduler stopping');
    await worker.close();
    await runtime.close();
    logger.info('scheduler stopped');
  });
}
