// The real processes (`node src/main.ts worker|scheduler`): SIGTERM lets an in-flight job finish,
// or, past WORKER_SHUTDOWN_GRACE_SECONDS, returns it to the queue; then the process exits 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorker } from '@personal-automations/jobs';
import type { TaskQueue } from '@personal-automations/services';
import { openTaskQueue, startProcess, useWorkerTest, waitUntil } from './helpers.ts';

const t = useWorkerTest();
let tasks: TaskQueue;
let closeTasks: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ tasks, close: closeTasks } = await openTaskQueue(t.settings));
});
afterAll(async () => {
  await closeTasks?.();
});

const start = (mode: string, env: Record<string, string> = {}) => startProcess(t.settings, mode, env);

const stateOf = async (id: string) => (await tasks.getTask(id))?.state;

// Child processes start slowly on a busy machine: generous limits.
describe('worker process', { timeout: 120_000 }, () => {
  it('on SIGTERM an in-flight task finishes, then the process exits 0', async () => {
    const worker = start('worker');
    try {
      await waitUntil('the worker to start', () => worker.output().includes('worker started'));
      const queued = await tasks.enqueueLongRunningTask(2);
      await waitUntil('the task to be running', async () => (await stateOf(queued.id)) === 'active');
      worker.child.kill('SIGTERM');
      expect(await worker.exit).toBe(0);
      expect(await tasks.getTask(queued.id)).toMatchObject({ state: 'completed', result: { status: 'completed', duration: 2 } });
      expect(worker.output()).toContain('worker stopped');
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('past the grace period the long-running task goes back to the queue (not failed), and another worker finishes it', async () => {
    const worker = start('worker', { WORKER_SHUTDOWN_GRACE_SECONDS: '0' });
    const queued = await tasks.enqueueLongRunningTask(3);
    try {
      await waitUntil('the task to be running', async () => (await stateOf(queued.id)) === 'active');
      worker.child.kill('SIGTERM');
      expect(await worker.exit).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
    }
    const returned = await tasks.getTask(queued.id);
    expect(['waiting', 'delayed']).toContain(returned?.state);
    expect(returned?.failedReason).toBeNull();

    const next = await runWorker({ settings: t.settings });
    try {
      await waitUntil('the task to complete elsewhere', async () => (await stateOf(queued.id)) === 'completed', 20_000);
    } finally {
      await next.close();
    }
  });
});

describe('scheduler process and the command line', { timeout: 120_000 }, () => {
  it('the scheduler starts and exits 0 on SIGTERM', async () => {
    const scheduler = start('scheduler');
    try {
      await waitUntil('the scheduler to start', () => scheduler.output().includes('scheduler started'));
      scheduler.child.kill('SIGTERM');
      expect(await scheduler.exit).toBe(0);
      expect(scheduler.output()).toContain('scheduler stopped');
    } finally {
      scheduler.child.kill('SIGKILL');
    }
  });

  it('an unknown mode exits 2 with usage; bad settings exit 1 listing the problem', async () => {
    const wrong = start('dance');
    expect(await wrong.exit).toBe(2);
    expect(wrong.output()).toContain('usage: node apps/worker/src/main.ts worker|scheduler');
    const bad = start('worker', { WEBHOOK_MAX_ATTEMPTS: 'many' });
    expect(await bad.exit).toBe(1);
    expect(bad.output()).toContain('WEBHOOK_MAX_ATTEMPTS: expected an integer');
  });
});
