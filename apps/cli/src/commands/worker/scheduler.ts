import { BaseCommand } from '../../lib/base.ts';
import { runUntilSignal } from '../../lib/worker.ts';

export default class WorkerScheduler extends BaseCommand {
  static override summary = 'Run the scheduler (periodic jobs: expired-session cleanup, old delivery pruning)';
  static override description =
    'Enqueues the periodic jobs on their schedule until SIGTERM or Ctrl+C. Registration is idempotent, so a second scheduler adds no duplicate jobs.';

  async run(): Promise<void> {
    await this.parse(WorkerScheduler);
    const settings = this.settings();
    const { runScheduler } = await import('@personal-automations/jobs');
    await runUntilSignal(
      () => runScheduler({ settings }),
      () => this.log('Scheduler running; press Ctrl+C to stop.'),
      (signal) => this.log(`${signal}: stopping the scheduler...`),
    );
    this.log('Scheduler stopped.');
    this.exit(0);
  }
}
