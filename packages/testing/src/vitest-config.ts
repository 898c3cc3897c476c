import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Shared vitest settings: real services, generous timeouts for a loaded 2-core machine. */
export function testConfig(options: { database?: boolean } = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      globalSetup: options.database === false ? [] : [fileURLToPath(new URL('./global-setup.ts', import.meta.url))],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
      coverage: { provider: 'v8', reporter: ['text-summary', 'html', 'lcov'], include: ['src/**/*.ts'], exclude: ['src/generated/**'] },
    },
  });
}
