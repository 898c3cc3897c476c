// The parts this process runs on (database, job backend, services), decorated as `app.platform`:
// every other plugin reaches the settings and the services through it. buildApp opens them before
// any plugin is registered (the embedded database can take longer to open than a plugin may take
// to start); this plugin runs the in-process jobs and closes everything with the app.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { runScheduler, runWorker } from '@personal-automations/jobs';
import type { Platform } from '@personal-automations/platform';

declare module 'fastify' {
  interface FastifyInstance {
    /** The parts this process runs on: settings, database, job backend, services. */
    platform: Platform;
  }
}

/** The worker and the scheduler, in this process when the platform says no other process can reach its database. */
async function startInProcessJobs(app: FastifyInstance, platform: Platform): Promise<Array<{ close(): Promise<void> }>> {
  if (!platform.runsJobsInProcess) return [];
  const logger = app.log as unknown as Logger;
  return [
    await runWorker({ settings: platform.settings, platform, logger }),
    await runScheduler({ settings: platform.settings, platform, logger }),
  ];
}

async function platformPlugin(app: FastifyInstance, { platform }: { platform: Platform }) {
  app.decorate('platform', platform);
  const { level, message } = platform.describe();
  app.log[level]({ parts: platform.parts }, message);
  const jobs = await startInProcessJobs(app, platform);
  app.addHook('onClose', async () => {
    for (const job of jobs) await job.close();
    await platform.close();
  });
}

export default fp(platformPlugin, { name: 'platform' });
