export { runWorker } from './worker.ts';
export type { WorkerOptions } from './worker.ts';
export { runScheduler } from './scheduler.ts';
export { OutboxRelay, DELIVERY_BACKOFF_TYPE, DELIVERY_JOB_RETENTION } from './outbox-relay.ts';
export type { OutboxRelayOptions } from './outbox-relay.ts';
