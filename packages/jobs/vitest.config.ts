import { testConfig } from '@personal-automations/testing/vitest-config';

// The jobs-table run (TEST_MODE=jobs-table, no Redis) leaves out the files that look into
// BullMQ's Redis keys themselves: the relay's enqueued jobs and the scheduler's job schedulers.
export default testConfig({ onlyWithServers: ['test/relay.test.ts', 'test/scheduler.test.ts'] });
