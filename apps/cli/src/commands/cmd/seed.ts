import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';
import { dryRunLines, SEED_PASSWORD, type SeedResult, seed } from '../../lib/seed.ts';

export default class Seed extends BaseCommand {
  static override summary = 'Seed the database with sample users and items';
  static override description =
    `Creates --count users (random @example.com emails, password "${SEED_PASSWORD}", role user) and --count items (3 in 4 active). A kind that already has rows is skipped unless --clear, which first deletes every non-superuser and every item.`;
  static override examples = [
    '<%= config.bin %> cmd seed --count 100',
    '<%= config.bin %> cmd seed --clear --no-items',
    '<%= config.bin %> cmd seed --dry-run',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    count: Flags.integer({ char: 'c', default: 10, min: 1, max: 100_000, description: 'records to create per kind' }),
    clear: Flags.boolean({ default: false, description: 'delete existing non-superusers and items first' }),
    'dry-run': Flags.boolean({ default: false, description: 'only say what would be done' }),
    users: Flags.boolean({ default: true, allowNo: true, description: 'seed users' }),
    items: Flags.boolean({ default: true, allowNo: true, description: 'seed items' }),
  };

  async run(): Promise<SeedResult & { dry_run: boolean }> {
    const { flags } = await this.parse(Seed);
    const options = { count: flags.count, clear: flags.clear, users: flags.users, items: flags.items };
    if (flags['dry-run']) {
      for (const line of dryRunLines(options)) this.log(line);
      return { dry_run: true, users: 0, items: 0 };
    }
    const ctx = await this.openServices();
    const result = await seed(ctx, options, (line) => this.log(line));
    return { dry_run: false, ...result };
  }
}
