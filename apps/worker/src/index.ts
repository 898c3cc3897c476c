export { runWorker } from './worker.ts';
export type { WorkerOptions } from './worker.ts';
export { runScheduler } from './scheduler.ts';
export { OutboxRelay, DELIVERY_JOB_RETENTION } from './outbox-relay.ts';
export { createRuntime } from './runtime.ts';
export type { RuntimeOptions } from './runtime.ts';
export type { OutboxRelayOptions } from './outbox-relay.ts';
