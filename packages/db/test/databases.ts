// The databases packages/db's own tests run on, made with this package's own functions. The shared
// helpers of @personal-automations/testing are built on this package (their global setup migrates
// with migrateDeploy, copies embedded data dirs, ...), so they cannot serve its tests: the
// dependency would be a cycle, which the workspace's task runner (Turbo) refuses.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSettings } from '@personal-automations/config';
import { dropDatabase, ensureDatabase, withDatabaseName } from '../src/admin.ts';
import { LOCK_FILE_NAME } from '../src/embedded/index.ts';
import { migrateDeploy } from '../src/migrations.ts';

/** A fresh database `pa_test_<random>` on the configured server, with every migration applied. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = withDatabaseName(getSettings().databaseUrl, `pa_test_${randomBytes(5).toString('hex')}`);
  await ensureDatabase(url);
  try {
    await migrateDeploy(url);
  } catch (error) {
    await dropDatabase(url);
    throw error;
  }
  return { url, drop: () => dropDatabase(url) };
}

/** A copy of the closed embedded data dir `templateDir` under the OS temp dir, without its lock file, and how to remove it. */
export async function createTestDataDir(templateDir: string): Promise<{ dataDir: string; remove: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa_test_embedded_'));
  fs.cpSync(templateDir, dataDir, { recursive: true, filter: (source) => path.basename(source) !== LOCK_FILE_NAME });
  return { dataDir, remove: () => fs.promises.rm(dataDir, { recursive: true, force: true }) };
}
