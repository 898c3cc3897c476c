import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';
import { createMigration } from '../../lib/migrations.ts';

export default class DbMigrate extends BaseCommand {
  static override summary = 'Create a migration from the changes in prisma/schema.prisma';
  static override description =
    'Writes prisma/migrations/<timestamp>_<message>/ with migration.sql (migrations → schema) and down.sql (schema → migrations). The schema engine replays the migrations in a temporary shadow database, so DATABASE_URL must name a server where databases can be created.';
  static override examples = ['<%= config.bin %> db migrate -m "add tags to items"'];
  static override enableJsonFlag = true;
  static override flags = {
    message: Flags.string({ char: 'm', required: true, description: 'what the migration does (becomes part of its folder name)' }),
    schema: Flags.string({ description: 'schema file (default: prisma/schema.prisma)' }),
    'migrations-dir': Flags.string({ description: 'migrations folder (default: prisma/migrations)' }),
  };

  async run(): Promise<{ created: string | null }> {
    const { flags } = await this.parse(DbMigrate);
    if (this.settings().database.kind === 'pglite') {
      this.fail(
        'Error: db migrate needs a PostgreSQL server: it replays the migrations in a temporary shadow database. Set DATABASE_URL (a server where databases can be created) and run it again.',
      );
    }
    const created = await createMigration(await this.databaseUrl(), flags.message, {
      schema: flags.schema,
      migrationsDir: flags['migrations-dir'],
    });
    if (!created) {
      this.log('No schema changes: no migration created.');
      return { created: null };
    }
    const shown = path.relative(process.cwd(), created.dir);
    this.log(`Created ${shown.startsWith('..') ? created.dir : shown}/ (migration.sql, down.sql)`);
    this.log('Read both files, then apply with `personal_automations db upgrade` and regenerate the client with `pnpm db:generate`.');
    return { created: created.name };
  }
}
