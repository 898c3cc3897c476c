import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    coverage: { provider: 'v8', reporter: ['text-summary', 'html'], include: ['src/**/*.ts'] },
  },
});
