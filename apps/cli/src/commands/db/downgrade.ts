import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';
import { downgrade } from '../../lib/migrations.ts';

export default class DbDowngrade extends BaseCommand {
  static override summary = 'Undo the newest migration (or more), schema and record';
  static override description =
    'Runs the down.sql of each migration undone, newest first, and deletes its _prisma_migrations row. "-N" undoes N migrations, "base" all of them, a revision name those applied after it.';
  static override examples = [
    '<%= config.bin %> db downgrade -1',
    '<%= config.bin %> db downgrade --revision base',
    '<%= config.bin %> db downgrade --revision 20261126000000',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    revision: Flags.string({ char: 'r', default: '-1', description: '"-N", "base", or the migration to go back to' }),
  };

  async run(): Promise<{ undone: string[] }> {
    const { flags } = await this.parse(DbDowngrade, revisionArgs(this.argv));
    const undone = await downgrade(await this.databaseUrl(), flags.revision);
    for (const name of undone) this.log(`Undid ${name}`);
    if (undone.length === 0) this.log('Nothing to undo.');
    return { undone };
  }
}

/**
 * `db downgrade -1` and `--revision -2`: a value with a leading dash would otherwise be read as
 * a flag, so it is attached to --revision.
 */
function revisionArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if ((arg === '--revision' || arg === '-r') && next !== undefined) {
      out.push(`--revision=${next}`);
      i++;
    } else out.push(/^-\d+$/.test(arg) ? `--revision=${arg}` : arg);
  }
  return out;
}
