import { BaseCommand } from '../../lib/base.ts';
import { migrationState } from '../../lib/migrations.ts';

export default class DbCurrent extends BaseCommand {
  static override description = 'Show the newest migration applied to the database';
  static override enableJsonFlag = true;

  async run(): Promise<{ current: string | null; head: string | null; pending: string[] }> {
    await this.parse(DbCurrent);
    const { current, head, pending } = await migrationState(await this.databaseUrl());
    this.log(current ? `${current}${current === head ? ' (head)' : ''}` : '(no migration applied)');
    if (pending.length) this.log(`${pending.length} pending: ${pending.join(', ')}`);
    return { current, head, pending };
  }
}
