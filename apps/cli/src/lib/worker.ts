// The worker and scheduler live in @personal-automations/worker; it is imported only when a
// worker command runs, so every other command works without it (and its Redis connections).
import type { Settings } from '@personal-automations/config';
import { CliError } from './errors.ts';

export type Stoppable = { close(): Promise<void> };
export type WorkerModule = {
  runWorker(options: { settings: Settings; concurrency?: number }): Promise<Stoppable>;
  runScheduler(options: { settings: Settings }): Promise<Stoppable>;
};

const WORKER_PACKAGE = '@personal-automations/worker';

/** The worker package, or a clear "not available" error when it is not there. */
export async function loadWorker(): Promise<WorkerModule> {
  let loaded: Partial<WorkerModule>;
  try {
    // a variable specifier: the CLI type-checks and runs whether or not the package exists
    const specifier: string = WORKER_PACKAGE;
    loaded = (await import(specifier)) as Partial<WorkerModule>;
  } catch (error) {
    if (!isMissingWorker(error)) throw error;
    throw new CliError(`Error: worker not available: ${WORKER_PACKAGE} is not installed or has no entry point yet`);
  }
  if (typeof loaded.runWorker !== 'function' || typeof loaded.runScheduler !== 'function') {
    throw new CliError(`Error: worker not available: ${WORKER_PACKAGE} does not export runWorker and runScheduler`);
  }
  return loaded as WorkerModule;
}

/** The package itself (or its entry file) is missing; a module missing inside it is a real error. */
export function isMissingWorker(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') return false;
  const missing = /'([^']+)'/.exec(message ?? '')?.[1] ?? '';
  return missing === WORKER_PACKAGE || /[/\\]worker(?:[/\\]src)?[/\\]index\.[cm]?[jt]s$/.test(missing) || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
}

/**
 * Starts `start()`'s service, waits for SIGTERM or SIGINT, then closes it. The handlers go in
 * first: a signal that comes while starting (or right after "running" is printed) still stops
 * the service cleanly instead of killing the process.
 */
export async function runUntilSignal(start: () => Promise<Stoppable>, onStarted: () => void, onStopping: (signal: string) => void): Promise<void> {
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const handle = await start();
  onStarted();
  onStopping(await stopSignal);
  await handle.close();
}
