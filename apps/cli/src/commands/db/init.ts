import { BaseCommand } from '../../lib/base.ts';
import { upgrade } from '../../lib/migrations.ts';

export default class DbInit extends BaseCommand {
  static override summary = 'Create the database if missing and apply every migration';

  async run(): Promise<void> {
    await this.parse(DbInit);
    const databaseUrl = await this.databaseUrl();
    const { ensureDatabase } = await import('@personal-automations/db');
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    this.log((await ensureDatabase(databaseUrl)) ? `Created database ${name}` : `Database ${name} exists`);
    const applied = await upgrade(databaseUrl);
    this.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
  }
}
