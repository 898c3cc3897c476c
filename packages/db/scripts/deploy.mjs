// Creates the configured database when it is missing, then applies every pending migration.
// Used by the setup scripts; DATABASE_URL comes from the project settings.
import { getSettings } from '@personal-automations/config';
import { ensureDatabase } from '../src/admin.ts';
import { migrateDeploy } from '../src/migrations.ts';

const { database, databaseUrl } = getSettings();
if (database.kind === 'pglite') {
  // The embedded database is migrated by the process that opens it, at start.
  console.log(`==> embedded database in ${database.dataDir} (migrations are applied when the API starts)`);
  process.exit(0);
}
const safeUrl = databaseUrl.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
if (await ensureDatabase(databaseUrl)) console.log(`==> created database ${safeUrl}`);
const result = await migrateDeploy(databaseUrl);
console.log(result.stdout.trim().split('\n').at(-1));
