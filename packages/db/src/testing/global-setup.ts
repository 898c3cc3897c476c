// Vitest global setup: one migrated template database per test run. Each test file then clones
// it (see useTestDatabase), so files run in parallel without sharing rows, and runs on the same
// server never collide. Everything is dropped at the end.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { getSettings } from '@personal-automations/config';
import { dropDatabase, ensureDatabase, withDatabaseName } from '../admin.ts';
import { migrateDeploy } from '../migrations.ts';
import './provided-context.ts';


export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const templateUrl = withDatabaseName(getSettings().databaseUrl, `pa_test_${runId}_tpl`);
  await ensureDatabase(templateUrl);
  await migrateDeploy(templateUrl);
  project.provide('templateDatabaseUrl', templateUrl);
  project.provide('testRunId', runId);
  return async () => {
    await dropDatabase(templateUrl);
  };
}
