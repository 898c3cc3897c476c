import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';
import { upgrade } from '../../lib/migrations.ts';

export default class DbUpgrade extends BaseCommand {
  static override summary = 'Apply pending migrations (to head or --revision)';
  static override examples = ['<%= config.bin %> db upgrade', '<%= config.bin %> db upgrade --revision 20261126000000'];
  static override enableJsonFlag = true;
  static override flags = {
    revision: Flags.string({ char: 'r', default: 'head', description: 'migration to stop at: "head", a folder name or its unique prefix' }),
  };

  async run(): Promise<{ applied: string[] }> {
    const { flags } = await this.parse(DbUpgrade);
    const applied = await upgrade(await this.databaseUrl(), flags.revision);
    for (const name of applied) this.log(`Applied ${name}`);
    if (applied.length === 0) this.log('Already up to date.');
    return { applied };
  }
}
