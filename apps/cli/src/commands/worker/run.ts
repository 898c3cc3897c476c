import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';
import { runUntilSignal } from '../../lib/worker.ts';

export default class WorkerRun extends BaseCommand {
  static override summary = 'Run the background worker (webhook deliveries, queued tasks)';
  static override description = 'Processes jobs until SIGTERM or Ctrl+C, then finishes the running ones and exits.';
  static override flags = {
    concurrency: Flags.integer({
      min: 1,
      max: 1000,
      aliases: ['workers'],
      description: 'example tasks processed at once [default: WORKER_CONCURRENCY, 5]; webhook deliveries: WEBHOOK_CONCURRENCY',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(WorkerRun);
    const settings = this.settings();
    const concurrency = flags.concurrency ?? settings.WORKER_CONCURRENCY;
    // imported here, not at the top: oclif loads every command file to list them (see lib/base.ts)
    const { runWorker } = await import('@personal-automations/jobs');
    await runUntilSignal(
      () => runWorker({ settings, concurrency }),
      () => this.log(`Worker running (concurrency ${concurrency}); press Ctrl+C to stop.`),
      (signal) => this.log(`${signal}: stopping the worker...`),
    );
    this.log('Worker stopped.');
    this.exit(0);
  }
}
