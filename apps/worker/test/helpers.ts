// The worker process's tests: the job runtime's test context (@personal-automations/testing), the
// example tasks' queue, to give the process work from outside, and the process itself, started as
// it is run (`node src/main.ts worker|scheduler`) on the test's database and job backend.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Settings } from '@personal-automations/config';
import { openPlatform } from '@personal-automations/platform';
import type { TaskQueue } from '@personal-automations/services';
import { jobsEnv, jobsInTable } from '@personal-automations/testing';

export { jobsEnv, jobsInTable, useWorkerTest, waitUntil } from '@personal-automations/testing';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** The example tasks' queue on these settings' job backend (Redis or the jobs table), and how to close it. */
export async function openTaskQueue(settings: Settings): Promise<{ tasks: TaskQueue; close(): Promise<void> }> {
  const platform = await openPlatform(settings);
  return { tasks: platform.services.tasks, close: () => platform.close() };
}

export type Started = { child: ChildProcess; exit: Promise<number | null>; output: () => string };

/** `node src/main.ts <mode>` on the database and job queues of `settings`, logging at info, with `env` on top. */
export function startProcess(settings: Settings, mode: string, env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [MAIN, mode], {
    env: {
      ...process.env,
      DATABASE_URL: settings.databaseUrl,
      ...jobsEnv,
      ...(!jobsInTable && { TASKIQ_BROKER_URL: settings.TASKIQ_BROKER_URL }),
      JOB_QUEUE_PREFIX: settings.JOB_QUEUE_PREFIX,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, output: () => output };
}
