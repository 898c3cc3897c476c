// What the `worker` commands share: run the job runtime (@personal-automations/jobs) until a signal.
import type { Stoppable } from '@personal-automations/jobs';

/**
 * Starts `start()`'s service, waits for SIGTERM or SIGINT, then closes it. The handlers go in
 * first: a signal that comes while starting (or right after "running" is printed) still stops
 * the service cleanly instead of killing the process.
 */
export async function runUntilSignal(
  start: () => Promise<Stoppable>,
  onStarted: () => void,
  onStopping: (signal: string) => void,
): Promise<void> {
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const handle = await start();
  onStarted();
  onStopping(await stopSignal);
  await handle.close();
}
