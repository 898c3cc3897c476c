import { Flags } from '@oclif/core';
import type { StaleCounts } from '@personal-automations/services';
import { BaseCommand } from '../../lib/base.ts';

type CleanupResult = StaleCounts & { dry_run: boolean; cutoff: string; deleted: boolean };

export default class Cleanup extends BaseCommand {
  static override summary = 'Delete expired sessions and old webhook delivery rows';
  static override description =
    'Deletes every expired session and the webhook delivery log rows older than --days. Asks for confirmation unless --force; --dry-run only counts.';
  static override examples = ['<%= config.bin %> cmd cleanup --days 7 --dry-run', '<%= config.bin %> cmd cleanup --force'];
  static override enableJsonFlag = true;
  static override flags = {
    days: Flags.integer({ char: 'd', default: 30, min: 0, description: 'delete delivery rows older than this many days' }),
    'dry-run': Flags.boolean({ default: false, description: 'count what would be deleted, delete nothing' }),
    force: Flags.boolean({ char: 'f', default: false, description: 'do not ask for confirmation' }),
  };

  async run(): Promise<CleanupResult> {
    const { flags } = await this.parse(Cleanup);
    const cutoff = new Date(Date.now() - flags.days * 24 * 3600 * 1000);
    const date = cutoff.toISOString();
    const { maintenance } = (await this.openServices()).services;
    const found = await maintenance.countStale(cutoff);
    const summary = (c: StaleCounts) => `${c.sessions} expired sessions, and ${c.deliveries} webhook deliveries older than ${date}`;
    if (flags['dry-run']) {
      this.log(`[DRY RUN] Would delete records older than ${date}`);
      this.log(`[DRY RUN] Would delete ${summary(found)}`);
      return { dry_run: true, cutoff: date, deleted: false, ...found };
    }
    if (found.sessions + found.deliveries === 0) {
      this.log('Nothing to clean up.');
      return { dry_run: false, cutoff: date, deleted: false, ...found };
    }
    if (!flags.force && !(await this.prompts.confirm(`Delete ${summary(found)}?`))) this.fail('Aborted.');
    const deleted = await maintenance.deleteStale(cutoff);
    this.log(`Deleted ${summary(deleted)}`);
    return { dry_run: false, cutoff: date, deleted: true, ...deleted };
  }
}
