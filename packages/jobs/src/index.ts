// The job runtime: what the worker process (apps/worker), the API in embedded mode (apps/api) and
// the CLI's `worker` commands run. Each of the two entry points opens its parts (or takes a
// process's platform), starts at once and resolves to a handle whose close() lets in-flight jobs
// finish. The relay, the processors and the runtime stay inside: nothing else starts them alone.

export type { RuntimeOptions, Stoppable } from './runtime.ts';
export { runScheduler } from './scheduler.ts';
export type { WorkerOptions } from './worker.ts';
export { runWorker } from './worker.ts';
