import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/base.ts';

export default class DbExport extends BaseCommand {
  static override summary = 'Write the embedded database as SQL, to load into a real PostgreSQL';
  static override description =
    'Dumps schema, rows and migration history of the embedded (PGlite) database in EMBEDDED_DATA_DIR. ' +
    'Stop the API first: the embedded database serves one process. Load the file into a new, empty database ' +
    'with `psql "$DATABASE_URL" -f <file>`, then set DATABASE_URL. With a PostgreSQL server configured, use pg_dump.';
  static override examples = [
    '<%= config.bin %> db export -o dump.sql',
    'psql "postgresql://postgres@localhost:5432/my_project" -f dump.sql',
  ];
  static override flags = {
    output: Flags.string({ char: 'o', description: 'file to write (default: standard output)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbExport);
    const { database } = this.settings();
    if (database.kind !== 'pglite') {
      this.fail(
        'Error: db export reads the embedded database, but a PostgreSQL server is configured (DATABASE_URL / POSTGRES_*): use pg_dump',
      );
    }
    const { exportEmbeddedDatabase } = await import('@personal-automations/db');
    const sql = await exportEmbeddedDatabase(database.dataDir);
    if (!flags.output) {
      process.stdout.write(sql);
      return;
    }
    fs.writeFileSync(flags.output, sql);
    this.log(`Wrote ${flags.output} (${Math.round(sql.length / 1024)} KiB) from ${database.dataDir}`);
  }
}
