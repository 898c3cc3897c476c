// A worker process of its own serves its metrics on METRICS_HOST:METRICS_PORT (none with
// METRICS_ENABLED=false), and they read its queues: depth by state (BullMQ's counts, or the jobs
// table's), each attempt's time and result, and the outbox's lag.
import net, { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runWorker } from '../src/index.ts';
import { openTaskQueue, useWorkerTest, waitUntil } from './helpers.ts';

const t = useWorkerTest();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the worker’s metrics endpoint', { timeout: 60_000 }, () => {
  it('serves the queues, the jobs and the outbox while it runs, and stops with it', async () => {
    const port = await freePort();
    const worker = await runWorker({ settings: { ...t.settings, METRICS_ENABLED: true, METRICS_HOST: '127.0.0.1', METRICS_PORT: port } });
    const { tasks, close } = await openTaskQueue(t.settings);
    try {
      const queued = await tasks.enqueueExampleTask('measured');
      await waitUntil('the task', async () => (await tasks.getTask(queued.id))?.state === 'completed');
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/^pa_job_queue_jobs\{queue="tasks",state="completed"\} [1-9]/m);
      expect(text).toMatch(/^pa_job_duration_seconds_count\{queue="tasks",name="example_task",result="completed"\} 1$/m);
      expect(text).toMatch(/^pa_outbox_oldest_event_age_seconds \d/m);
      expect(text).toMatch(/^pa_dependency_up\{dependency="database"\} 1$/m);
    } finally {
      await close();
      await worker.close();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('opens no endpoint with METRICS_ENABLED=false', async () => {
    const port = await freePort();
    const worker = await runWorker({ settings: { ...t.settings, METRICS_ENABLED: false, METRICS_PORT: port } });
    try {
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    } finally {
      await worker.close();
    }
  });
});
