import { BaseCommand } from '../../lib/base.ts';
import { migrationState } from '../../lib/migrations.ts';
import { formatTable } from '../../lib/output.ts';

type HistoryEntry = {
  revision: string;
  status: 'applied' | 'pending' | 'applied, not in migrations folder';
  current: boolean;
  head: boolean;
};

export default class DbHistory extends BaseCommand {
  static override description = 'List every migration, oldest first, and whether it is applied';
  static override enableJsonFlag = true;

  async run(): Promise<HistoryEntry[]> {
    await this.parse(DbHistory);
    const { all, applied, current, head } = await migrationState(await this.databaseUrl());
    const entries: HistoryEntry[] = [...new Set([...all, ...applied])].sort().map((revision) => ({
      revision,
      status: !applied.includes(revision) ? 'pending' : all.includes(revision) ? 'applied' : 'applied, not in migrations folder',
      current: revision === current,
      head: revision === head,
    }));
    const marks = (e: HistoryEntry) => [e.head && 'head', e.current && 'current'].filter(Boolean).join(', ');
    if (entries.length === 0) this.log('No migrations.');
    else
      this.log(
        formatTable(
          entries.map((e) => ({ ...e, marks: marks(e) })),
          [{ key: 'revision' }, { key: 'status' }, { key: 'marks', header: 'note' }],
        ),
      );
    return entries;
  }
}
