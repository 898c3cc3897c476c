// The test helpers every suite shares. packages/testing sits below the other workspace packages
// but config and db (their tests use it), so nothing here imports services, platform or an app.
export { createTestDatabase, createTestDataDir, useTestDatabase } from './database.ts';
export { isEmbeddedTestMode, isJobsTableTestMode } from './mode.ts';
export { copyTemplateDataDir } from './embedded.ts';
export { openTcpProxy } from './tcp-proxy.ts';
export { startFakeDns, type FakeDns, type FakeDnsOptions } from './fake-dns.ts';
export { removeQueues, waitForJobState } from './queues.ts';
export { waitUntil } from './wait.ts';
export { jobsEnv, jobsInTable, useWorkerTest, workerTestSettings, type WorkerTestContext } from './worker-test.ts';
