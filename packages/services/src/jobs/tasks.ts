// The typed enqueue API for the example tasks, usable from the API and the CLI without the
// worker's code. The Redis connection is opened on first use, so processes that never enqueue
// never connect.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError, ExternalServiceError, ValidationError } from '../errors.ts';
import { createProducerRedis, QUEUE_NAMES, withQueueTimeout, type TaskData, type TaskName, type TaskResult } from './queues.ts';

export type EnqueuedTask<N extends TaskName = TaskName> = { id: string; name: N };

export type TaskState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'unknown';

export type TaskStatus<N extends TaskName = TaskName> = {
  id: string;
  name: N;
  state: TaskState;
  /** 0..100 for the long-running task; 0 for the others until they finish. */
  progress: number;
  result: TaskResult<N> | null;
  failedReason: string | null;
};

/** Finished tasks stay readable for a day (and the last 1,000), failed ones for a week. */
const TASK_JOB_OPTIONS = { removeOnComplete: { age: 24 * 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } };

const KNOWN_STATES = new Set<string>(['waiting', 'delayed', 'active', 'completed', 'failed']);

export type TaskQueueOptions = { url: string; prefix: string };

export class TaskQueue {
  private readonly options: TaskQueueOptions;
  private connection: { redis: Redis; queue: Queue } | undefined;
  constructor(options: TaskQueueOptions) {
    this.options = options;
  }

  private get queue(): Queue {
    if (!this.connection) {
      const redis = createProducerRedis(this.options.url);
      const queue = new Queue(QUEUE_NAMES.tasks, { connection: redis, prefix: this.options.prefix });
      queue.on('error', () => {}); // reported to the caller of the failing command
      this.connection = { redis, queue };
    }
    return this.connection.queue;
  }

  private async enqueue<N extends TaskName>(name: N, data: TaskData<N>): Promise<EnqueuedTask<N>> {
    try {
      const job = await withQueueTimeout(this.queue.add(name, data, TASK_JOB_OPTIONS));
      return { id: job.id!, name };
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new ExternalServiceError('Job queue unavailable', { reason: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Waits a second, then returns `{"status": "completed", "message": "Processed: <message>"}`. */
  enqueueExampleTask(message: string): Promise<EnqueuedTask<'example_task'>> {
    return this.enqueue('example_task', { message });
  }

  /** Runs for `duration` seconds, reporting progress, then returns `{"status": "completed", "duration": n}`. */
  enqueueLongRunningTask(duration = 10): Promise<EnqueuedTask<'long_running_task'>> {
    if (!Number.isFinite(duration) || duration < 0 || duration > 24 * 3600) {
      return Promise.reject(new ValidationError('duration must be between 0 and 86400 seconds', { duration }));
    }
    return this.enqueue('long_running_task', { duration });
  }

  /** A stub mail sender: waits half a second, returns `{"status": "sent", "to", "subject"}`. */
  enqueueSendEmail(to: string, subject: string, body: string): Promise<EnqueuedTask<'send_email'>> {
    return this.enqueue('send_email', { to, subject, body });
  }

  /** Where a task is now, with its result once it completed; null when unknown or already removed. */
  async getTask(id: string): Promise<TaskStatus | null> {
    // The state first: a job read after it says "completed" carries its result.
    const state = await withQueueTimeout(this.queue.getJobState(id));
    const job = await withQueueTimeout(this.queue.getJob(id));
    if (!job || state === 'unknown') return null;
    return {
      id,
      name: job.name as TaskName,
      state: (KNOWN_STATES.has(state) ? state : state === 'prioritized' || state === 'waiting-children' ? 'waiting' : 'unknown') as TaskState,
      progress: typeof job.progress === 'number' ? job.progress : 0,
      result: (job.returnvalue ?? null) as TaskResult | null,
      failedReason: job.failedReason || null,
    };
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    await connection.queue.close().catch(() => {});
    connection.redis.disconnect();
  }
}
