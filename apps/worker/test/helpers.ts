// The worker process's tests: the job runtime's test context (@personal-automations/testing) and
// the example tasks' queue, to give the process work from outside.
import type { Settings } from '@personal-automations/config';
import { openPlatform } from '@personal-automations/platform';
import type { TaskQueue } from '@personal-automations/services';

export { jobsEnv, jobsInTable, useWorkerTest, waitUntil } from '@personal-automations/testing';

/** The example tasks' queue on these settings' job backend (Redis or the jobs table), and how to close it. */
export async function openTaskQueue(settings: Settings): Promise<{ tasks: TaskQueue; close(): Promise<void> }> {
  const platform = await openPlatform(settings);
  return { tasks: platform.services.tasks, close: () => platform.close() };
}
