// The job-queue interface on BullMQ and Redis: producers fail fast while Redis is away (the
// outbox keeps the events, an API call gets an error), workers wait for it and reconnect.
import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';
import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError, ExternalServiceError } from '../errors.ts';
import {
  type AddBulkOptions,
  defaultBackoffMs,
  type JobBackend,
  type JobCounts,
  type JobInfo,
  type JobOptions,
  type JobProcessor,
  type JobQueue,
  type JobState,
  type JobWorker,
  type JobWorkerOptions,
  type NewJob,
  PermanentJobError,
  TransactionalEnqueueError,
} from './backend.ts';
import { createProducerRedis, firstConnection, queueConnection, withQueueTimeout } from './redis-connection.ts';

/**
 * BullMQ, loaded on the first queue or worker: an API process that never enqueues (most requests)
 * starts without its ~2 MB of code. Synchronous (require), since `queue()` and `work()` are.
 */
let bullmqModule: typeof BullMQ | undefined;
const bullmq = (): typeof BullMQ => (bullmqModule ??= createRequire(import.meta.url)('bullmq') as typeof BullMQ);

/** A job's retry delay comes from its worker's backoffMs (BullMQ calls this a custom backoff). */
const WORKER_BACKOFF = 'worker';
const KNOWN_STATES = new Set<string>(['waiting', 'delayed', 'active', 'completed', 'failed']);

function bullOptions(options: JobOptions = {}): JobsOptions {
  const attempts = options.attempts ?? 1;
  return {
    ...(options.jobId !== undefined && { jobId: options.jobId }),
    attempts,
    ...(attempts > 1 && { backoff: { type: WORKER_BACKOFF } }),
    ...(options.keep && { removeOnComplete: { age: options.keep.completedSeconds }, removeOnFail: { age: options.keep.failedSeconds } }),
  };
}

const stateOf = (state: string): JobState | 'unknown' =>
  KNOWN_STATES.has(state) ? (state as JobState) : state === 'prioritized' || state === 'waiting-children' ? 'waiting' : 'unknown';

/** How long a producer's first command waits for the connection being opened (later outages fail at once). */
const FIRST_CONNECTION_WAIT_MS = 2000;

/** Errors of an unreachable Redis become ExternalServiceError, as the API maps them (503). */
async function producerCall<T>(work: Promise<T>): Promise<T> {
  try {
    return await withQueueTimeout(work);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ExternalServiceError('Job queue unavailable', { reason: error instanceof Error ? error.message : String(error) });
  }
}

class BullmqQueue<Data, Result> implements JobQueue<Data, Result> {
  readonly name: string;
  /** Redis cannot take part in a database transaction. */
  readonly joinsTransactions = false;
  private readonly open: () => { queue: Queue; redis: Redis };
  private opened: { queue: Queue; redis: Redis } | undefined;
  /** `open` makes the BullMQ queue and its connection, on the first command. */
  constructor(name: string, open: () => { queue: Queue; redis: Redis }) {
    this.name = name;
    this.open = open;
  }

  private get queue(): Queue {
    this.opened ??= this.open();
    return this.opened.queue;
  }

  private get redis(): Redis {
    this.opened ??= this.open();
    return this.opened.redis;
  }

  async add(name: string, data: Data, options?: JobOptions): Promise<string> {
    await firstConnection(this.redis, FIRST_CONNECTION_WAIT_MS);
    const job = await producerCall(this.queue.add(name, data, bullOptions(options)));
    return job.id!;
  }

  async addBulk(jobs: NewJob<Data>[], options?: AddBulkOptions<never>): Promise<void> {
    // Adding them anyway, outside the transaction, would break the caller's all-or-nothing without a word.
    if (options?.transaction !== undefined) throw new TransactionalEnqueueError(this.name);
    if (!jobs.length) return;
    await firstConnection(this.redis, FIRST_CONNECTION_WAIT_MS);
    // Not connected: fail at once rather than wait (the outbox relay retries the round later).
    if (this.redis.status !== 'ready') throw new ExternalServiceError(`Job queue unavailable (Redis connection ${this.redis.status})`);
    await producerCall(this.queue.addBulk(jobs.map((job) => ({ name: job.name, data: job.data, opts: bullOptions(job.options) }))));
  }

  /** Workers hear of new jobs from Redis at once. */
  announce(): void {}

  async getJob(id: string): Promise<JobInfo<Data, Result> | null> {
    await firstConnection(this.redis, FIRST_CONNECTION_WAIT_MS);
    // The state first: a job read after it says "completed" carries its result.
    const state = stateOf(await producerCall(this.queue.getJobState(id)));
    const job: Job | undefined = await producerCall(this.queue.getJob(id));
    if (!job || state === 'unknown') return null;
    return {
      id,
      name: job.name,
      data: job.data as Data,
      state,
      attemptsMade: job.attemptsMade,
      progress: typeof job.progress === 'number' ? job.progress : 0,
      result: (job.returnvalue ?? null) as Result | null,
      failedReason: job.failedReason || null,
    };
  }

  async counts(): Promise<JobCounts> {
    const { prioritized = 0, ...counts } = await producerCall(
      this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'),
    );
    // BullMQ's prioritized jobs are waiting ones, as stateOf reads them
    return { ...counts, waiting: (counts.waiting ?? 0) + prioritized };
  }

  close(): Promise<void> {
    return this.opened ? this.opened.queue.close().catch(() => {}) : Promise.resolve();
  }
}

class BullmqWorker implements JobWorker {
  private readonly worker: Worker;
  constructor(worker: Worker) {
    this.worker = worker;
  }
  cancelAll(reason: string): void {
    this.worker.cancelAllJobs(reason);
  }
  close(): Promise<void> {
    return this.worker.close();
  }
}

function bullProcessor<Data, Result>(processor: JobProcessor<Data, Result>) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<Result> => {
    try {
      return await processor({
        id: job.id!,
        name: job.name,
        data: job.data as Data,
        attempt: job.attemptsMade + 1,
        signal: signal ?? new AbortController().signal,
        updateProgress: (percent) => job.updateProgress(percent),
        async returnToQueue(delayMs = 0) {
          await job.moveToDelayed(Date.now() + delayMs, token);
          return new (bullmq().DelayedError)();
        },
      });
    } catch (error) {
      if (error instanceof PermanentJobError) throw new (bullmq().UnrecoverableError)(error.message);
      throw error;
    }
  };
}

export type BullmqJobBackendOptions = {
  url: string;
  prefix: string;
  /**
   * How long a try holds its job without renewal (BullMQ's lock, default 30 s); a job whose
   * worker died goes back to the queue within about twice this (the stalled-job check runs as often).
   */
  leaseMs?: number;
};

export class BullmqJobBackend implements JobBackend {
  readonly kind = 'redis' as const;
  private readonly options: BullmqJobBackendOptions;
  private readonly queues = new Map<string, BullmqQueue<unknown, unknown>>();
  private producer: Redis | undefined;
  private readonly schedulerQueues: Queue[] = [];
  constructor(options: BullmqJobBackendOptions) {
    this.options = options;
  }

  /** The queue; it (and the shared producer connection) opens on its first command, so processes that never enqueue never connect. */
  queue<Data = unknown, Result = unknown>(name: string): JobQueue<Data, Result> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new BullmqQueue(name, () => {
        this.producer ??= createProducerRedis(this.options.url);
        const bull = new (bullmq().Queue)(name, { connection: this.producer, prefix: this.options.prefix });
        bull.on('error', () => {}); // reported to the caller of the failing command
        return { queue: bull, redis: this.producer };
      });
      this.queues.set(name, queue);
    }
    return queue as unknown as JobQueue<Data, Result>;
  }

  work<Data = unknown, Result = unknown>(queueName: string, processor: JobProcessor<Data, Result>, options: JobWorkerOptions): JobWorker {
    const backoffMs = options.backoffMs ?? defaultBackoffMs;
    const { Worker, DelayedError } = bullmq();
    const worker = new Worker(queueName, bullProcessor(processor), {
      connection: queueConnection(this.options.url),
      prefix: this.options.prefix,
      concurrency: options.concurrency,
      lockDuration: this.options.leaseMs ?? 30_000,
      stalledInterval: this.options.leaseMs ?? 30_000,
      settings: { backoffStrategy: (attemptsMade: number) => backoffMs(attemptsMade) },
    });
    let lastError = '';
    worker.on('error', (error) => {
      // Redis being away repeats the same error every few seconds: report each new one once.
      if (error.message === lastError) return;
      lastError = error.message;
      options.onConnectionError?.(error);
    });
    worker.on('ready', () => {
      if (lastError) options.onConnectionRestored?.();
      lastError = '';
    });
    worker.on('failed', (job, error) => {
      if (job && !(error instanceof DelayedError))
        options.onFailed?.({ id: job.id!, name: job.name, attemptsMade: job.attemptsMade }, error);
    });
    worker.on('completed', (job) => options.onCompleted?.({ id: job.id!, name: job.name, attemptsMade: job.attemptsMade }));
    return new BullmqWorker(worker);
  }

  async repeat(queueName: string, jobName: string, everyMs: number): Promise<void> {
    // Registration waits for Redis rather than failing: a scheduler started before Redis just starts late.
    const queue = new (bullmq().Queue)(queueName, { connection: queueConnection(this.options.url), prefix: this.options.prefix });
    queue.on('error', () => {});
    this.schedulerQueues.push(queue);
    await queue.upsertJobScheduler(
      jobName,
      { every: everyMs },
      { name: jobName, opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } } },
    );
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all([
      ...queues.map((queue) => queue.close()),
      ...this.schedulerQueues.splice(0).map((queue) => queue.close().catch(() => {})),
    ]);
    this.producer?.disconnect();
    this.producer = undefined;
  }
}
