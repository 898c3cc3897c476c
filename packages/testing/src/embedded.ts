// The embedded test mode (TEST_MODE=embedded): every app a test builds gets its own copy of the
// run's migrated PGlite data directory (made once by the global setup), removed after the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import '@personal-automations/db/testing';

export const isEmbeddedTestMode = (): boolean => process.env.TEST_MODE === 'embedded';

const copies: string[] = [];
if (isEmbeddedTestMode()) {
  afterAll(() => {
    for (const dir of copies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh copy of the migrated template data directory (a copy is a few tens of MB: quick). */
export function copyTemplateDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-test-pglite-'));
  fs.cpSync(inject('embeddedTemplateDir'), dir, { recursive: true });
  copies.push(dir);
  return dir;
}
