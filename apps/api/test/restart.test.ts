// A restart keeps what was stored and what was queued: rows written before the API stopped are
// there after it starts again, and jobs still waiting when it stopped run afterwards. In embedded
// mode both live in the PGlite data directory (the API itself runs the jobs); otherwise in
// PostgreSQL and Redis.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@personal-automations/testing';
import { buildApp } from '../src/app.ts';
import { testSettings } from './helpers.ts';
import { removeQueues, startWorker, waitUntil } from './webhooks-support.ts';

const database = useTestDatabase();

async function registerUser(app: FastifyInstance, email: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: 'correct horse battery' } });
  expect(res.statusCode).toBe(201);
}

describe('restart', { timeout: 120_000 }, () => {
  it('keeps the rows and runs the jobs that were still waiting', async () => {
    // one settings object for both lives: the same database (or data directory) and queues
    const settings = testSettings(database.url, { WORKER_CONCURRENCY: '1', JOB_QUEUE_PREFIX: `pa_test_${randomBytes(5).toString('hex')}` });
    const email = `restart-${randomBytes(3).toString('hex')}@example.com`;

    const first = await buildApp({ settings });
    await registerUser(first, email);
    const queued = await Promise.all(['a', 'b', 'c'].map((m) => first.platform.services.tasks.enqueueExampleTask(m)));
    const states = await Promise.all(queued.map(async (task) => (await first.platform.services.tasks.getTask(task.id))?.state));
    expect(states.filter((state) => state === 'waiting').length).toBeGreaterThan(0);
    await first.close();

    const second = await buildApp({ settings });
    const worker = await startWorker(second);
    try {
      expect(await second.platform.db.user.count({ where: { email } })).toBe(1);
      const login = await second.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username: email, password: 'correct horse battery' }).toString(),
      });
      expect(login.statusCode).toBe(200);
      for (const task of queued) {
        const done = await waitUntil(`task ${task.id} to complete after the restart`, async () => {
          const status = await second.platform.services.tasks.getTask(task.id);
          return status?.state === 'completed' && status;
        });
        expect(done.result).toMatchObject({ status: 'completed' });
      }
    } finally {
      await worker.close();
      await second.close();
      await removeQueues(settings);
    }
  });
});
