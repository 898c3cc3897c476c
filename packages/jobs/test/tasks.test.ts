// The example tasks through the typed enqueue API and the real worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalServiceError, type TaskQueue, type TaskStatus, ValidationError } from '@personal-automations/services';
import { runWorker } from '../src/index.ts';
import { jobsInTable, openTaskQueue, useWorkerTest, waitUntil } from './helpers.ts';

const t = useWorkerTest();
let worker: { close(): Promise<void> } | undefined;
let tasks: TaskQueue;
let closeTasks: (() => Promise<void>) | undefined;
beforeAll(async () => {
  worker = await runWorker({ settings: t.settings, concurrency: 3 });
  ({ tasks, close: closeTasks } = await openTaskQueue(t.settings));
});
afterAll(async () => {
  await closeTasks?.();
  await worker?.close();
});

const finished = (id: string) =>
  waitUntil(`task ${id}`, async () => {
    const status = await tasks.getTask(id);
    return status && (status.state === 'completed' || status.state === 'failed') && status;
  });

describe('example tasks', { timeout: 60_000 }, () => {
  it('example_task returns {"status": "completed", "message": "Processed: <message>"}', async () => {
    const queued = await tasks.enqueueExampleTask('hello');
    expect(queued).toEqual({ id: expect.any(String), name: 'example_task' });
    expect(await finished(queued.id)).toMatchObject({
      state: 'completed',
      result: { status: 'completed', message: 'Processed: hello' },
      failedReason: null,
    });
    // where it ran: a row of the jobs table, or a BullMQ job in Redis
    expect(await t.db.job.count({ where: { id: queued.id } })).toBe(jobsInTable ? 1 : 0);
  });

  it('long_running_task reports progress while it runs, then returns its duration', async () => {
    const queued = await tasks.enqueueLongRunningTask(3);
    const seen = new Set<number>();
    let status: TaskStatus | null = null;
    await waitUntil('the long-running task', async () => {
      status = await tasks.getTask(queued.id);
      if (status) seen.add(status.progress);
      return status?.state === 'completed';
    });
    expect(status).toMatchObject({ progress: 100, result: { status: 'completed', duration: 3 } });
    // progress reports (33, 67) were visible from outside while it ran
    expect([...seen].some((p) => p > 0 && p < 100)).toBe(true);
  });

  it('send_email (a stub) returns {"status": "sent", "to", "subject"}', async () => {
    const queued = await tasks.enqueueSendEmail('a@example.com', 'Hi', 'Body');
    expect((await finished(queued.id)).result).toEqual({ status: 'sent', to: 'a@example.com', subject: 'Hi' });
  });

  it('refuses a bad duration; an unknown task id is null', async () => {
    await expect(tasks.enqueueLongRunningTask(-1)).rejects.toBeInstanceOf(ValidationError);
    expect(await tasks.getTask('no-such-task')).toBeNull();
  });

  it.skipIf(jobsInTable)('an unreachable job queue (Redis) is an ExternalServiceError, not a hang', async () => {
    const offline = await openTaskQueue({ ...t.settings, TASKIQ_BROKER_URL: 'redis://127.0.0.1:9/0' });
    try {
      const started = Date.now();
      const error = await offline.tasks.enqueueExampleTask('lost').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExternalServiceError);
      expect(error).toMatchObject({ code: 'EXTERNAL_SERVICE_ERROR', message: 'Job queue unavailable' });
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await offline.close();
    }
  });
});
