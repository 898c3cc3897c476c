// The small job-queue interface that the producers (API, CLI, outbox relay), the worker and the
// scheduler use. Two backends implement it: BullMQ on Redis, and a table in PostgreSQL (real or
// embedded) for when there is no Redis. Which one a process gets is decided once, from the settings.
// It says only what both do. Adding jobs inside the caller's database transaction is a capability
// only the table has (its jobs are rows of that database): the caller asks for it, and a backend
// without it refuses loudly. The interface does not know what a transaction is: the backend that
// can join one names its type (`Transaction`).

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

/** Jobs of a queue by state (a state with none may be missing). */
export type JobCounts = Partial<Record<JobState, number>>;

export type JobOptions = {
  /** A stable id: adding a job whose id is already known is a no-op. Generated when absent. */
  jobId?: string;
  /** Tries in all, the first included (default 1). A failed try before the last is retried after the worker's backoff. */
  attempts?: number;
  /** How long a finished job stays readable (getJob) before it is removed. */
  keep?: { completedSeconds: number; failedSeconds: number };
};

export type NewJob<Data> = { name: string; data: Data; options?: JobOptions };

/** A job as read back: where it is and, once finished, its result or failure. */
export type JobInfo<Data = unknown, Result = unknown> = {
  id: string;
  name: string;
  data: Data;
  state: JobState;
  /** Tries that have finished (failed or succeeded). */
  attemptsMade: number;
  /** 0..100, as the processor last reported it. */
  progress: number;
  result: Result | null;
  failedReason: string | null;
};

/** One try of a job, as its processor sees it. */
export type RunningJob<Data> = {
  id: string;
  name: string;
  data: Data;
  /** This try's number, 1 for the first. */
  attempt: number;
  /** Aborted when the worker shuts down and its grace period is over (see JobWorker.cancelAll). */
  signal: AbortSignal;
  updateProgress(percent: number): Promise<void>;
  /**
   * Puts the job back in the queue without counting this try, due again after `delayMs` (default
   * 0); the processor throws what it returns.
   */
  returnToQueue(delayMs?: number): Promise<Error>;
};

export type JobProcessor<Data, Result> = (job: RunningJob<Data>) => Promise<Result>;

/** Thrown by a processor for a failure that another try cannot fix: the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export type JobSummary = { id: string; name: string; attemptsMade: number };

export type JobWorkerOptions = {
  /** Jobs run at the same time by this worker. */
  concurrency: number;
  /** Delay before the next try, given the tries made so far (1 after the first failure). Default: 1 s doubling. */
  backoffMs?: (attemptsMade: number) => number;
  /** Called after a failed try (retried or not). */
  onFailed?: (job: JobSummary, error: Error) => void;
  onCompleted?: (job: JobSummary) => void;
  /** The backend could not be reached (called once per new error message) and when it is reached again. */
  onConnectionError?: (error: Error) => void;
  onConnectionRestored?: () => void;
};

export interface JobWorker {
  /** Aborts the running tries' signals (a cancellable processor returns its job to the queue). */
  cancelAll(reason: string): void;
  /** Takes no new jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

/**
 * How addBulk adds its jobs. `transaction`: inside this open transaction of the process's
 * database, so they commit or roll back with the caller's writes. Only a queue whose
 * `joinsTransactions` is true can; any other throws TransactionalEnqueueError.
 */
export type AddBulkOptions<Transaction> = { transaction?: Transaction };

/** A queue asked to add jobs inside a database transaction it cannot join (BullMQ: its jobs are in Redis). */
export class TransactionalEnqueueError extends Error {
  constructor(queue: string) {
    super(`Queue "${queue}" cannot add jobs inside a database transaction: its jobs are not in that database`);
    this.name = 'TransactionalEnqueueError';
  }
}

/** `Transaction`: what addBulk's `transaction` option takes; `never` for a queue that joins none. */
export interface JobQueue<Data = unknown, Result = unknown, Transaction = never> {
  readonly name: string;
  /** Whether addBulk can add its jobs inside the caller's database transaction (the jobs table: yes; BullMQ: no). */
  readonly joinsTransactions: boolean;
  /** Adds one job; returns its id. */
  add(name: string, data: Data, options?: JobOptions): Promise<string>;
  addBulk(jobs: NewJob<Data>[], options?: AddBulkOptions<Transaction>): Promise<void>;
  /**
   * Jobs added inside a transaction have committed: this process's idle workers of the queue look
   * for them now rather than at their next poll (the jobs table). Nothing to do for BullMQ.
   */
  announce(): void;
  /** The job, or null when it is unknown or was already removed. */
  getJob(id: string): Promise<JobInfo<Data, Result> | null>;
  /** How many jobs are in each state now (the metrics' queue depth); finished ones only while they are kept. */
  counts(): Promise<JobCounts>;
}

export interface JobBackend<Transaction = never> {
  /** For logs and readiness: `redis` (BullMQ) or `postgresql` (a table in the database). */
  readonly kind: 'redis' | 'postgresql';
  queue<Data = unknown, Result = unknown>(name: string): JobQueue<Data, Result, Transaction>;
  work<Data = unknown, Result = unknown>(queueName: string, processor: JobProcessor<Data, Result>, options: JobWorkerOptions): JobWorker;
  /** Runs `jobName` on `queueName` now and then every `everyMs`, once per period across all processes. Idempotent. */
  repeat(queueName: string, jobName: string, everyMs: number): Promise<void>;
  /** Closes what the backend opened (queues, connections); workers are closed by their owners first. */
  close(): Promise<void>;
}

/** The default backoff: 1 s, 2 s, 4 s … capped at an hour. */
export const defaultBackoffMs = (attemptsMade: number): number => Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 3_600_000);
