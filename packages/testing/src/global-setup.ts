// Vitest global setup: one migrated template database per test run. Each test file then clones
// it (see useTestDatabase), so files run in parallel without sharing rows, and runs on the same
// server never collide. Everything is dropped at the end.
// TEST_MODE=embedded touches no server: the template is an embedded (PGlite) data dir under the
// OS temp dir, opened once (initdb + migrations) and closed; test files copy it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { getSettings } from '@personal-automations/config';
import { dropDatabase, ensureDatabase, openEmbeddedDatabase, withDatabaseName } from '@personal-automations/db';
import { migrateDeploy } from '@personal-automations/db/migrations';
import { isEmbeddedTestMode } from './mode.ts';
import './provided-context.ts';

export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  if (isEmbeddedTestMode()) return setupEmbeddedTemplate(project, runId);
  const templateUrl = withDatabaseName(getSettings().databaseUrl, `pa_test_${runId}_tpl`);
  await ensureDatabase(templateUrl);
  await migrateDeploy(templateUrl);
  project.provide('templateDatabaseUrl', templateUrl);
  project.provide('testRunId', runId);
  return async () => {
    await dropDatabase(templateUrl);
  };
}

async function setupEmbeddedTemplate(project: TestProject, runId: string) {
  const templateDir = path.join(os.tmpdir(), `pa_test_${runId}_tpl`);
  try {
    const db = await openEmbeddedDatabase({ dataDir: templateDir });
    await db.close();
  } catch (error) {
    await fs.rm(templateDir, { recursive: true, force: true });
    throw error;
  }
  project.provide('embeddedTemplateDir', templateDir);
  project.provide('testRunId', runId);
  return async () => {
    await fs.rm(templateDir, { recursive: true, force: true });
  };
}
