import { testConfig } from '@personal-automations/testing/vitest-config';

// The API's tests drive the services and contracts end to end; count them in its coverage.
// Some files are about the servers themselves, and are not run in embedded mode: Redis outages;
// an unreachable PostgreSQL (database-outage); and shutdown.test.ts, which holds a request open
// on a Redis that never answers (embedded-process.test.ts covers the embedded process's start and
// SIGTERM, in both runs); and metrics-prometheus.test.ts and tracing.test.ts, which run the worker
// as a process of its own beside the API (the embedded API runs it inside).
export default testConfig({
  coverageOf: ['../../packages/services', '../../packages/contracts'],
  onlyWithServers: [
    'test/webhooks-outage.test.ts',
    'test/shutdown.test.ts',
    'test/database-outage.test.ts',
    'test/metrics-prometheus.test.ts',
    'test/tracing.test.ts',
  ],
});
