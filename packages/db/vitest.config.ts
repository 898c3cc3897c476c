import { defineConfig } from 'vitest/config';

// No global setup: the shared one (in @personal-automations/testing) is built on this package, so
// these tests make their own databases with its functions (test/databases.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    coverage: {
      provider: 'v8',
      reporter: ['text-summary', 'html'],
      include: ['src/**/*.ts', 'engine/**/*.mjs'],
      exclude: ['src/generated/**'],
    },
  },
});
