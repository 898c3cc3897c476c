import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { openTcpProxy, useTestDatabase } from '@personal-automations/testing';
import { type JobProcessor, type JobWorkerOptions, PermanentJobError } from '../src/jobs/backend.ts';
import { MAX_STALLS } from '../src/jobs/database/statements.ts';
import { DatabaseJobBackend, type DatabaseJobBackendOptions } from '../src/jobs/database-backend.ts';

const database = useTestDatabase();
const FAST = { pollIntervalMs: 20 };
const backoffMs = () => 50;

/** What each test opened, closed after it, newest first. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let queueCount = 0;
/** A queue name of its own for each test: the file shares one database. */
const freshQueue = () => `q${++queueCount}`;

function openClient(url = database.url): Database {
  const db = createPrismaClient({ url, maxConnections: 4 });
  cleanups.push(() => db.$disconnect());
  return db;
}

/** A backend on its own Prisma client: what a separate process would have. */
function openBackend(options: DatabaseJobBackendOptions = {}, url?: string): { db: Database; backend: DatabaseJobBackend } {
  const db = openClient(url);
  const backend = new DatabaseJobBackend(db, { ...FAST, ...options });
  cleanups.push(() => backend.close());
  return { db, backend };
}

function startWorker<D, R>(
  backend: DatabaseJobBackend,
  queue: string,
  processor: JobProcessor<D, R>,
  options: Partial<JobWorkerOptions> = {},
) {
  const worker = backend.work(queue, processor, { concurrency: 1, backoffMs, ...options });
  cleanups.push(() => worker.close());
  return worker;
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A proxy to the database that the test can cut (a process losing its network), closed after the test. */
async function openProxy(targetUrl: string) {
  const proxy = await openTcpProxy(targetUrl);
  cleanups.push(proxy.stop);
  return proxy;
}

let db: Database;
let backend: DatabaseJobBackend;
beforeAll(() => {
  db = createPrismaClient({ url: database.url, maxConnections: 4 });
  backend = new DatabaseJobBackend(db, FAST);
  return async () => {
    await backend.close();
    await db.$disconnect();
  };
});

describe('DatabaseJobBackend queues', () => {
  it('adds jobs and reads them back; a known id is a no-op', async () => {
    const queue = backend.queue<{ n: number }>(freshQueue());
    expect(backend.kind).toBe('postgresql');
    expect(await queue.add('first', { n: 1 }, { jobId: 'job-1', attempts: 3 })).toBe('job-1');
    expect(await queue.getJob('job-1')).toEqual({
      id: 'job-1',
      name: 'first',
      data: { n: 1 },
      state: 'waiting',
      attemptsMade: 0,
      progress: 0,
      result: null,
      failedReason: null,
    });
    expect(await queue.add('again', { n: 2 }, { jobId: 'job-1' })).toBe('job-1');
    await queue.addBulk([
      { name: 'bulk', data: { n: 3 }, options: { jobId: 'job-1' } },
      { name: 'bulk', data: { n: 4 }, options: { jobId: 'job-2' } },
      { name: 'bulk', data: { n: 5 }, options: { jobId: 'job-2' } },
    ]);
    expect(await queue.getJob('job-1')).toMatchObject({ name: 'first', data: { n: 1 } });
    expect(await queue.getJob('job-2')).toMatchObject({ name: 'bulk', data: { n: 4 } });

    const generated = await queue.add('generated', { n: 6 });
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(await queue.getJob('unknown')).toBeNull();
    // Ids are per queue.
    expect(await backend.queue(freshQueue()).getJob('job-1')).toBeNull();
  });

  it('adds through a transaction: invisible until commit, gone on rollback', async () => {
    const queue = backend.queue(freshQueue());
    await db.$transaction(async (tx) => {
      await queue.addBulk([{ name: 'in-tx', data: {}, options: { jobId: 'committed' } }], { transaction: tx });
      expect(await queue.getJob('committed')).toBeNull(); // another connection (real PostgreSQL only)
    });
    expect(await queue.getJob('committed')).toMatchObject({ state: 'waiting' });

    const rolledBack = db.$transaction(async (tx) => {
      await queue.addBulk([{ name: 'in-tx', data: {}, options: { jobId: 'rolled-back' } }], { transaction: tx });
      throw new Error('abort');
    });
    await expect(rolledBack).rejects.toThrow('abort');
    expect(await queue.getJob('rolled-back')).toBeNull();
  });

  it('removes finished jobs after their retention', async () => {
    const { db: own, backend: pruning } = openBackend({ pruneIntervalMs: 0 });
    const name = freshQueue();
    const queue = pruning.queue(name);
    await queue.add('kept', {}, { jobId: 'kept' });
    await queue.add('dropped', {}, { jobId: 'dropped', keep: { completedSeconds: 0, failedSeconds: 0 } });
    startWorker(pruning, name, async () => 'ok', { concurrency: 2 });
    await waitFor(async () => (await own.job.count({ where: { queue: name } })) === 1, 'the expired job to be deleted');
    expect(await queue.getJob('kept')).toMatchObject({ state: 'completed', result: 'ok' });
    expect(await queue.getJob('dropped')).toBeNull();
  });
});

describe('DatabaseJobBackend workers', () => {
  it('runs every job once, never more at a time than the concurrency', async () => {
    const name = freshQueue();
    const queue = backend.queue<{ i: number }, { doubled: number }>(name);
    const runs = new Map<string, number>();
    let active = 0;
    let maxActive = 0;
    const completed: string[] = [];
    startWorker<{ i: number }, { doubled: number }>(
      backend,
      name,
      async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        maxActive = Math.max(maxActive, ++active);
        await job.updateProgress(50);
        await sleep(15);
        active--;
        return { doubled: job.data.i * 2 };
      },
      { concurrency: 3, onCompleted: (job) => completed.push(job.id) },
    );
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'double', data: { i }, options: { jobId: `d${i}` } })));
    await waitFor(() => completed.length === 20, 'all jobs to complete');
    expect([...runs.values()]).toEqual(Array(20).fill(1));
    expect(maxActive).toBeGreaterThan(1);
    expect(maxActive).toBeLessThanOrEqual(3);
    expect(await queue.getJob('d7')).toEqual({
      id: 'd7',
      name: 'double',
      data: { i: 7 },
      state: 'completed',
      attemptsMade: 1,
      progress: 50,
      result: { doubled: 14 },
      failedReason: null,
    });
  });

  it('retries a failed try after the backoff, then completes', async () => {
    const name = freshQueue();
    const queue = backend.queue(name);
    const tries: { attempt: number; at: number }[] = [];
    const failures: number[] = [];
    startWorker(
      backend,
      name,
      async (job) => {
        tries.push({ attempt: job.attempt, at: Date.now() });
        if (job.attempt < 3) throw new Error(`try ${job.attempt} failed`);
        return 'done';
      },
      { backoffMs: (made) => 50 * made, onFailed: (job) => failures.push(job.attemptsMade) },
    );
    await queue.add('flaky', {}, { jobId: 'flaky', attempts: 5 });
    await waitFor(async () => (await queue.getJob('flaky'))?.state === 'completed', 'the job to complete');
    expect(await queue.getJob('flaky')).toMatchObject({ attemptsMade: 3, result: 'done', failedReason: 'try 2 failed' });
    expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
    expect(failures).toEqual([1, 2]);
    // The backoff is measured by the database clock from when the failure was recorded: at least that long.
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(45);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(95);
  });

  it('reports a job waiting for its retry as delayed', async () => {
    const name = freshQueue();
    const queue = backend.queue(name);
    startWorker(backend, name, async () => Promise.reject(new Error('not yet')), { backoffMs: () => 60_000 });
    await queue.add('later', {}, { jobId: 'later', attempts: 2 });
    await waitFor(async () => (await queue.getJob('later'))?.attemptsMade === 1, 'the first try');
    expect(await queue.getJob('later')).toMatchObject({ state: 'delayed', failedReason: 'not yet' });
  });

  it('fails at once on PermanentJobError, and after the last try otherwise', async () => {
    const name = freshQueue();
    const queue = backend.queue<{ permanent: boolean }>(name);
    const failed: string[] = [];
    startWorker<{ permanent: boolean }, never>(
      backend,
      name,
      async (job) => {
        throw job.data.permanent ? new PermanentJobError('cannot work') : new Error('boom');
      },
      { concurrency: 2, onFailed: (job, error) => failed.push(`${job.id}:${job.attemptsMade}:${error.message}`) },
    );
    await queue.add('permanent', { permanent: true }, { jobId: 'permanent', attempts: 5 });
    await queue.add('transient', { permanent: false }, { jobId: 'transient', attempts: 2 });
    await waitFor(async () => (await queue.getJob('transient'))?.state === 'failed', 'the retried job to fail');
    await waitFor(async () => (await queue.getJob('permanent'))?.state === 'failed', 'the permanent failure');
    expect(await queue.getJob('permanent')).toMatchObject({ attemptsMade: 1, failedReason: 'cannot work', result: null });
    expect(await queue.getJob('transient')).toMatchObject({ attemptsMade: 2, failedReason: 'boom' });
    expect(failed.sort()).toEqual(['permanent:1:cannot work', 'transient:1:boom', 'transient:2:boom']);
  });

  it('returns a cancelled job to the queue on close without counting the try', async () => {
    const name = freshQueue();
    const { backend: first } = openBackend();
    const queue = first.queue(name);
    const failed: string[] = [];
    let started = false;
    const worker = first.work(
      name,
      async (job) => {
        started = true;
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
        throw await job.returnToQueue();
      },
      { concurrency: 1, onFailed: (job) => failed.push(job.id) },
    );
    await queue.add('long', {}, { jobId: 'long' });
    await waitFor(() => started, 'the try to start');
    const closed = worker.close();
    worker.cancelAll('shutting down');
    await closed;
    expect(failed).toEqual([]);
    expect(await queue.getJob('long')).toMatchObject({ state: 'waiting', attemptsMade: 0 });

    const attempts: number[] = [];
    startWorker(backend, name, async (job) => void attempts.push(job.attempt));
    await waitFor(async () => (await queue.getJob('long'))?.state === 'completed', 'the job to run again');
    expect(attempts).toEqual([1]);
  });

  it('keeps jobs across a restart', async () => {
    const name = freshQueue();
    const before = openBackend();
    const ids = await Promise.all([1, 2, 3].map((i) => before.backend.queue(name).add('pending', { i })));
    await before.backend.close();
    await before.db.$disconnect();

    const after = openBackend();
    const ran: string[] = [];
    startWorker(after.backend, name, async (job) => void ran.push(job.id), { concurrency: 2 });
    await waitFor(() => ran.length === 3, 'the pending jobs to run');
    expect(ran.sort()).toEqual(ids.sort());
  });
});

describe('DatabaseJobBackend across processes', () => {
  it('never runs a job twice when two processes work the same queue', async () => {
    const name = freshQueue();
    const runs = new Map<string, number>();
    const byProcess = [0, 0];
    const processes = [openBackend(), openBackend()];
    for (const [index, { backend: process }] of processes.entries()) {
      startWorker(
        process,
        name,
        async (job) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          byProcess[index]!++;
          await sleep(5);
        },
        { concurrency: 4 },
      );
    }
    await backend
      .queue(name)
      .addBulk(Array.from({ length: 100 }, (_, i) => ({ name: 'shared', data: { i }, options: { jobId: `s${i}` } })));
    await waitFor(async () => (await db.job.count({ where: { queue: name, state: 'completed' } })) === 100, 'all jobs to complete');
    expect(runs.size).toBe(100);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(byProcess.every((count) => count > 0)).toBe(true);
  });

  it('runs again a job whose process died, once its lease has expired', async () => {
    const name = freshQueue();
    const network = await openProxy(database.url);
    const dying = openBackend({ leaseMs: 300 }, network.url);
    let startedAt = 0;
    const dyingWorker = startWorker(dying.backend, name, async (job) => {
      startedAt = Date.now();
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
      throw new Error('cancelled');
    });
    await dying.backend.queue(name).add('orphan', {}, { jobId: 'orphan' });
    await waitFor(() => startedAt > 0, 'the first process to take the job');
    await network.stop(); // the process is gone: its lease is no longer renewed

    const survivor = openBackend({ leaseMs: 300 });
    const attempts: { attempt: number; at: number }[] = [];
    startWorker(survivor.backend, name, async (job) => void attempts.push({ attempt: job.attempt, at: Date.now() }));
    await waitFor(async () => (await backend.queue(name).getJob('orphan'))?.state === 'completed', 'the job to run again');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attempt).toBe(1); // the lost try is not counted
    expect(attempts[0]!.at - startedAt).toBeGreaterThanOrEqual(200); // not before the 300 ms lease (less the claim-to-start delay)
    dyingWorker.cancelAll('test over'); // its late outcome is not recorded: the job is no longer its own
    await dyingWorker.close();
    expect(await backend.queue(name).getJob('orphan')).toMatchObject({ state: 'completed', attemptsMade: 1 });
  });

  it('fails a job whose lease expired more often than MAX_STALLS, instead of running it again', async () => {
    const name = freshQueue();
    await backend.queue(name).add('once-lost', {}, { jobId: 'once-lost' });
    await backend.queue(name).add('twice-lost', {}, { jobId: 'twice-lost' });
    // as a process that died mid-try leaves them: active, with a lease that has run out
    await db.$executeRaw`UPDATE jobs SET state = 'active', locked_by = gen_random_uuid(), locked_until = now() - interval '1 second' WHERE queue = ${name}`;
    await db.$executeRaw`UPDATE jobs SET stalled_count = ${MAX_STALLS}::int WHERE queue = ${name} AND id = 'twice-lost'`;

    const ran: string[] = [];
    // failing over-stalled jobs is housekeeping, done on the prune rounds: a short interval here
    const { backend: housekeeping } = openBackend({ pruneIntervalMs: 20 });
    startWorker(housekeeping, name, async (job) => void ran.push(job.id));
    await waitFor(async () => (await backend.queue(name).getJob('once-lost'))?.state === 'completed', 'the once-lost job to run again');
    await waitFor(async () => (await backend.queue(name).getJob('twice-lost'))?.state === 'failed', 'the twice-lost job to fail');
    expect(ran).toEqual(['once-lost']);
    expect(await backend.queue(name).getJob('twice-lost')).toMatchObject({ failedReason: 'job stalled more than allowable limit' });
  });

  it('renews the lease of a try that runs longer than it', async () => {
    const name = freshQueue();
    const first = openBackend({ leaseMs: 150 });
    const second = openBackend({ leaseMs: 150 });
    const runs: string[] = [];
    for (const [label, process] of [
      ['first', first],
      ['second', second],
    ] as const) {
      startWorker(process.backend, name, async () => {
        runs.push(label);
        await sleep(600);
      });
    }
    await backend.queue(name).add('slow', {}, { jobId: 'slow' });
    await waitFor(async () => (await backend.queue(name).getJob('slow'))?.state === 'completed', 'the slow job to complete');
    expect(runs).toHaveLength(1);
  });

  it('reports a lost database once per error and its return, and keeps working', async () => {
    const name = freshQueue();
    const network = await openProxy(database.url);
    const { backend: cut } = openBackend({}, network.url);
    const events: string[] = [];
    const done: string[] = [];
    startWorker(cut, name, async (job) => void done.push(job.id), {
      onConnectionError: (error) => events.push(`error:${error.message}`),
      onConnectionRestored: () => events.push('restored'),
    });
    await network.stop();
    await waitFor(() => events.length > 0, 'the connection error');
    await sleep(200); // ten more polls fail the same way
    expect(events.filter((event) => event === 'restored')).toEqual([]);
    expect(new Set(events).size).toBe(events.length);

    await network.start();
    await waitFor(() => events.at(-1) === 'restored', 'the connection to come back');
    await backend.queue(name).add('after-outage', {}, { jobId: 'after-outage' });
    await waitFor(() => done.includes('after-outage'), 'the job after the outage');
  });

  it('repeats a job now and once per period, however many processes register it', async () => {
    const name = freshQueue();
    const everyMs = 400;
    const runs: { id: string; at: number }[] = [];
    const processes = [openBackend(), openBackend()];
    const since = Date.now();
    await Promise.all(processes.map(({ backend: process }) => process.repeat(name, 'tick', everyMs)));
    const firstPeriod = Math.floor(since / everyMs);
    const registered =
      (await backend.queue(name).getJob(`tick:${firstPeriod}`)) ?? (await backend.queue(name).getJob(`tick:${firstPeriod + 1}`));
    expect(registered).toMatchObject({ name: 'tick' });

    for (const { backend: process } of processes) startWorker(process, name, async (job) => void runs.push({ id: job.id, at: Date.now() }));
    await waitFor(() => runs.length >= 3, 'three runs');
    const periodsSeen = Math.floor(Date.now() / everyMs) - firstPeriod + 1;
    const ids = runs.map((run) => run.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(runs.length).toBeLessThanOrEqual(periodsSeen);
    for (const id of ids) expect(id).toMatch(/^tick:\d+$/);
    expect(await backend.queue(name).getJob(ids[0]!)).toMatchObject({ state: 'completed' }); // kept a while
  });
});
