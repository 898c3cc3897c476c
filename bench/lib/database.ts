// The database a benchmark runs on: a fresh pa_bench_<random> on the settings' PostgreSQL
// server, created and migrated at the start and dropped at the end, whatever happens between.
import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabaseName } from '@personal-automations/db';
import { migrateDeploy } from '@personal-automations/db/migrations';

export type BenchDatabase = {
  url: string;
  /** Creates the database and applies the migrations. */
  create(): Promise<void>;
  /** Drops it, if `create` made it; a failure is reported, not thrown (it runs in cleanups). */
  drop(): Promise<void>;
};

export function benchDatabase(serverUrl: string): BenchDatabase {
  const url = withDatabaseName(serverUrl, `pa_bench_${randomBytes(4).toString('hex')}`);
  let created = false;
  return {
    url,
    async create() {
      created = await ensureDatabase(url);
      await migrateDeploy(url);
    },
    async drop() {
      if (created) await dropDatabase(url).catch((error: unknown) => console.error('could not drop the bench database:', error));
    },
  };
}
