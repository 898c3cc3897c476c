import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./src/testing/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    coverage: { provider: 'v8', reporter: ['text-summary', 'html'], include: ['src/**/*.ts', 'engine/**/*.mjs'], exclude: ['src/generated/**'] },
  },
});
