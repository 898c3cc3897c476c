import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** One migrated template database per run, copied for each test file (global-setup.ts). */
const GLOBAL_SETUP = fileURLToPath(new URL('./global-setup.ts', import.meta.url));

/**
 * Shared vitest settings: real services, generous timeouts for a loaded 2-core machine.
 * `coverageOf` adds other workspace sources that this package's tests exercise (an app's tests
 * run the services and contracts too), so its coverage report counts them.
 */
export function testConfig(options: { database?: boolean; coverageOf?: string[]; onlyWithServers?: string[] } = {}) {
  const extra = options.coverageOf ?? [];
  // A second run of a suite without a server (TEST_MODE=embedded: no PostgreSQL nor Redis;
  // jobs-table: no Redis) leaves out the files about that server, and writes its own report.
  const mode = process.env.TEST_MODE;
  const exclude = mode ? (options.onlyWithServers ?? []) : [];
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      exclude: ['**/node_modules/**', ...exclude],
      globalSetup: options.database === false ? [] : [GLOBAL_SETUP],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      // Every process a test starts serves its metrics on a port of its own choosing, so files
      // running side by side (and other checkouts' runs) never fight over the default one.
      env: { METRICS_PORT: '0' },
      reporters: ['default', ['json', { outputFile: mode ? `test-results.${mode}.json` : 'test-results.json' }]],
      coverage: {
        provider: 'v8',
        reporter: ['text-summary', 'html', 'lcov'],
        include: ['src/**/*.ts', ...extra.map((dir) => `${dir}/src/**/*.ts`)],
        exclude: ['**/src/generated/**'],
        allowExternal: extra.length > 0,
      },
    },
  });
}
