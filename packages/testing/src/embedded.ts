// The embedded test mode (TEST_MODE=embedded): apps a test builds beyond its file's own database
// get their own copy of the run's migrated PGlite data directory, removed after the file.
import fs from 'node:fs';
import { afterAll } from 'vitest';
import { copyDataDir } from './database.ts';
import { isEmbeddedTestMode } from './mode.ts';

const copies: string[] = [];
if (isEmbeddedTestMode()) {
  afterAll(() => {
    for (const dir of copies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh copy of the migrated template data directory, removed when the test file ends. */
export function copyTemplateDataDir(): string {
  const dir = copyDataDir();
  copies.push(dir);
  return dir;
}
