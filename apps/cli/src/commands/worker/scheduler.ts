import { BaseCommand } from '../../lib/base.ts';
import { loadWorker, runUntilSignal } from '../../lib/worker.ts';

export default class WorkerScheduler extends BaseCommand {
  static override summary = 'Run the scheduler (periodic jobs: expired-session cleanup, old delivery pruning)';
  static override description = 'Enqueues the periodic jobs on their schedule until SIGTERM or Ctrl+C. Run one scheduler per deployment.';

  async run(): Promise<void> {
    await this.parse(WorkerScheduler);
    const settings = this.settings();
    const { runScheduler } = await loadWorker();
    await runUntilSignal(
      () => runScheduler({ settings }),
      () => this.log('Scheduler running; press Ctrl+C to stop.'),
      (signal) => this.log(`${signal}: stopping the scheduler...`),
    );
    this.log('Scheduler stopped.');
    this.exit(0);
  }
}
