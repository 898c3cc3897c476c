// The test helpers every suite shares. packages/testing sits below the other workspace packages
// but config and db (their tests use it), so nothing here imports services, platform or an app.
export { createTestDatabase, createTestDataDir, useTestDatabase } from './database.ts';
export { copyTemplateDataDir } from './embedded.ts';
export { type FakeDns, type FakeDnsOptions, startFakeDns } from './fake-dns.ts';
export { isEmbeddedTestMode, isJobsTableTestMode } from './mode.ts';
export { removeQueues, useRedisClients, waitForJobState } from './queues.ts';
export { type ReceivedRequest, type Receiver, type Reply, startReceiver } from './receiver.ts';
export { openTcpProxy } from './tcp-proxy.ts';
export { waitUntil } from './wait.ts';
export { jobsEnv, jobsInTable, useWorkerTest, type WorkerTestContext, workerTestSettings } from './worker-test.ts';
