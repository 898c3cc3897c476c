// The typed enqueue API for the example tasks, usable from the API and the CLI without the
// worker's code. It runs on whichever job backend the process has (BullMQ or the database).
import { ValidationError } from '../errors.ts';
import type { JobQueue, JobState } from './backend.ts';
import type { TaskData, TaskName, TaskResult } from './payloads.ts';

export type EnqueuedTask<N extends TaskName = TaskName> = { id: string; name: N };

export type TaskState = JobState | 'unknown';

export type TaskStatus<N extends TaskName = TaskName> = {
  id: string;
  name: N;
  state: TaskState;
  /** 0..100 for the long-running task; 0 for the others until they finish. */
  progress: number;
  result: TaskResult<N> | null;
  failedReason: string | null;
};

/** Finished tasks stay readable for a day, failed ones for a week. */
const TASK_RETENTION = { keep: { completedSeconds: 24 * 3600, failedSeconds: 7 * 24 * 3600 } };

export class TaskQueue {
  private readonly queue: JobQueue<TaskData, TaskResult>;
  constructor(queue: JobQueue<TaskData, TaskResult>) {
    this.queue = queue;
  }

  private async enqueue<N extends TaskName>(name: N, data: TaskData<N>): Promise<EnqueuedTask<N>> {
    return { id: await this.queue.add(name, data, TASK_RETENTION), name };
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
    const job = await this.queue.getJob(id);
    if (!job) return null;
    return { id, name: job.name as TaskName, state: job.state, progress: job.progress, result: job.result, failedReason: job.failedReason };
  }
}
