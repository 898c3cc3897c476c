import { testConfig } from '@personal-automations/testing/vitest-config';

// The worker process (src/main.ts) as it is run: signals, exit codes, the grace period. It runs
// twice, on BullMQ and Redis and with TEST_MODE=jobs-table on the database's jobs table.
export default testConfig();
