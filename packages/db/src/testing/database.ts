import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { dropDatabase, ensureDatabase, withDatabaseName } from '../admin.ts';
import './provided-context.ts';

/** Creates a fresh, migrated database (a copy of the run's template) for one test file. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = new URL(inject('templateDatabaseUrl')).pathname.slice(1);
  const url = withDatabaseName(inject('templateDatabaseUrl'), `pa_test_${inject('testRunId')}_${randomBytes(4).toString('hex')}`);
  await ensureDatabase(url, template);
  return { url, drop: () => dropDatabase(url) };
}

/** Registers beforeAll/afterAll hooks that create and drop this file's database; read `.url` inside tests. */
export function useTestDatabase(): { url: string } {
  const handle = { url: '' };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase();
    handle.url = db.url;
    drop = db.drop;
  });
  afterAll(async () => {
    await drop?.();
  });
  return handle;
}
