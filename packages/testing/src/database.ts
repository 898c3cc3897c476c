import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { dropDatabase, ensureDatabase, withDatabaseName } from '@personal-automations/db';
import { LOCK_FILE_NAME } from '@personal-automations/db/embedded';
import { isEmbeddedTestMode } from './mode.ts';
import './provided-context.ts';

/** Creates a fresh, migrated database (a copy of the run's template) for one test file. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = new URL(inject('templateDatabaseUrl')).pathname.slice(1);
  const url = withDatabaseName(inject('templateDatabaseUrl'), `pa_test_${inject('testRunId')}_${randomBytes(4).toString('hex')}`);
  await ensureDatabase(url, template);
  return { url, drop: () => dropDatabase(url) };
}

/**
 * TEST_MODE=embedded: a fresh copy of a closed embedded data dir (by default the run's migrated
 * template) under the OS temp dir, made at once (a few tens of MB). The lock file is left out:
 * the copy belongs to nobody yet.
 */
export function copyDataDir(templateDir: string = inject('embeddedTemplateDir')): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa_test_embedded_'));
  fs.cpSync(templateDir, dataDir, { recursive: true, filter: (source) => path.basename(source) !== LOCK_FILE_NAME });
  return dataDir;
}

/** copyDataDir, and how to remove the copy. */
export async function createTestDataDir(templateDir?: string): Promise<{ dataDir: string; remove: () => Promise<void> }> {
  const dataDir = copyDataDir(templateDir);
  return { dataDir, remove: () => fs.promises.rm(dataDir, { recursive: true, force: true }) };
}

/**
 * Registers beforeAll/afterAll hooks that create and remove this file's database; read the
 * handle inside tests. Normal mode: `url` names a database on the real server, `dataDir` is ''.
 * TEST_MODE=embedded: `url` is '' and `dataDir` is a copy of the embedded template (open it
 * with openEmbeddedDatabase).
 */
export function useTestDatabase(): { url: string; dataDir: string } {
  const handle = { url: '', dataDir: '' };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (isEmbeddedTestMode()) {
      const copy = await createTestDataDir();
      handle.dataDir = copy.dataDir;
      drop = copy.remove;
      return;
    }
    const db = await createTestDatabase();
    handle.url = db.url;
    drop = db.drop;
  });
  afterAll(async () => {
    await drop?.();
  });
  return handle;
}
