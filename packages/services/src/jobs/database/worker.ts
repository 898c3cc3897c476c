// A worker of the database job backend: polls its queue, claims due jobs up to its concurrency in
// one statement, runs them while renewing their lease, and records each try's outcome.
import { randomUUID } from 'node:crypto';
import {
  defaultBackoffMs,
  type JobProcessor,
  type JobSummary,
  type JobWorker,
  type JobWorkerOptions,
  PermanentJobError,
  type RunningJob,
} from '../backend.ts';
import {
  type Claim,
  type ClaimedJob,
  claimJobs,
  completeJob,
  failTry,
  releaseClaim,
  releaseJob,
  renewLease,
  type SqlClient,
  setProgress,
} from './statements.ts';

export type PollingOptions = {
  pollIntervalMs: number;
  /** How long a claim holds a job without renewal; renewed every third of it while the try runs. */
  leaseMs: number;
};

export type WorkerHooks = {
  /** Called before each claim (the backend prunes expired jobs from there). */
  beforeClaim(): void;
  onClose(): void;
};

/** What returnToQueue gives the processor to throw: the job is already back in the queue. */
export class JobReturnedToQueue extends Error {
  constructor() {
    super('Job returned to the queue');
    this.name = 'JobReturnedToQueue';
  }
}

type RunningTry = { controller: AbortController; done: Promise<void> };
type Outcome = { ok: true; resultJson: string } | { ok: false; error: Error };

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DatabaseJobWorker<Data, Result> implements JobWorker {
  private readonly db: SqlClient;
  private readonly queue: string;
  private readonly processor: JobProcessor<Data, Result>;
  private readonly options: JobWorkerOptions;
  private readonly timing: PollingOptions;
  private readonly hooks: WorkerHooks;
  private readonly running = new Set<RunningTry>();
  private readonly loop: Promise<void>;
  private closing = false;
  private wakeUp: (() => void) | null = null;
  private wakePending = false;
  /** The message of the connection error last reported; '' while the database answers. */
  private lastError = '';

  constructor(
    db: SqlClient,
    queue: string,
    processor: JobProcessor<Data, Result>,
    options: JobWorkerOptions,
    timing: PollingOptions,
    hooks: WorkerHooks,
  ) {
    this.db = db;
    this.queue = queue;
    this.processor = processor;
    this.options = options;
    this.timing = timing;
    this.hooks = hooks;
    this.loop = this.pollUntilClosed();
  }

  /** Polls at once instead of at the end of the interval (a job was added, or a slot freed up). */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }

  cancelAll(reason: string): void {
    for (const run of this.running) run.controller.abort(new Error(reason));
  }

  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.hooks.onClose();
      this.wake();
    }
    await this.loop;
    while (this.running.size) await Promise.all([...this.running].map((run) => run.done));
  }

  private async pollUntilClosed(): Promise<void> {
    while (!this.closing) {
      await this.claimAndStart();
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.wakePending || this.closing) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      timer = setTimeout(done, this.timing.pollIntervalMs);
    });
  }

  private async claimAndStart(): Promise<void> {
    const free = this.options.concurrency - this.running.size;
    if (free <= 0) return;
    this.hooks.beforeClaim();
    const token = randomUUID();
    let jobs: ClaimedJob[];
    try {
      jobs = await claimJobs(this.db, this.queue, token, free, this.timing.leaseMs);
      this.connectionWorks();
    } catch (error) {
      this.connectionFailed(error);
      return;
    }
    if (this.closing && jobs.length) {
      // close() came while claiming: the jobs go back rather than start after it.
      await this.write(() => releaseClaim(this.db, this.queue, token));
      return;
    }
    for (const job of jobs) this.start(job, { queue: this.queue, id: job.id, token });
  }

  private start(job: ClaimedJob, claim: Claim): void {
    const controller = new AbortController();
    const run: RunningTry = { controller, done: Promise.resolve() };
    run.done = this.runTry(job, claim, controller.signal)
      .catch(() => {}) // runTry reports its own failures; nothing may escape as an unhandled rejection
      .finally(() => {
        this.running.delete(run);
        this.wake();
      });
    this.running.add(run);
  }

  private async runTry(job: ClaimedJob, claim: Claim, signal: AbortSignal): Promise<void> {
    let returned = false;
    const running: RunningJob<Data> = {
      id: job.id,
      name: job.name,
      data: job.data as Data,
      attempt: job.attemptsMade + 1,
      signal,
      updateProgress: async (percent) => {
        await setProgress(this.db, claim, percent);
      },
      returnToQueue: async (delayMs = 0) => {
        returned = true;
        await this.write(() => releaseJob(this.db, claim, delayMs));
        return new JobReturnedToQueue();
      },
    };
    const renewEvery = Math.max(10, Math.floor(this.timing.leaseMs / 3));
    const renewal = setInterval(() => void renewLease(this.db, claim, this.timing.leaseMs).catch(() => {}), renewEvery);
    let outcome: Outcome;
    try {
      const result = await this.processor(running);
      outcome = { ok: true, resultJson: JSON.stringify(result ?? null) };
    } catch (error) {
      outcome = { ok: false, error: asError(error) };
    } finally {
      clearInterval(renewal);
    }
    if (returned) return;
    await this.record(job, claim, outcome);
  }

  private async record(job: ClaimedJob, claim: Claim, outcome: Outcome): Promise<void> {
    const summary: JobSummary = { id: job.id, name: job.name, attemptsMade: job.attemptsMade + 1 };
    if (outcome.ok) {
      // A try whose lease was lost (another worker took the job) records nothing and reports nothing.
      if (await this.write(() => completeJob(this.db, claim, outcome.resultJson))) this.options.onCompleted?.(summary);
      return;
    }
    const retry = !(outcome.error instanceof PermanentJobError) && summary.attemptsMade < job.maxAttempts;
    const retryInMs = retry ? (this.options.backoffMs ?? defaultBackoffMs)(summary.attemptsMade) : null;
    if (await this.write(() => failTry(this.db, claim, outcome.error.message, retryInMs))) this.options.onFailed?.(summary, outcome.error);
  }

  /**
   * Runs an update of a claimed job, retrying while the database is unreachable until the lease
   * would have expired anyway (then another worker takes the job over). Returns the rows updated.
   */
  private async write(update: () => Promise<number>): Promise<number> {
    const deadline = Date.now() + this.timing.leaseMs;
    for (;;) {
      try {
        const rows = await update();
        this.connectionWorks();
        return rows;
      } catch (error) {
        this.connectionFailed(error);
        if (Date.now() >= deadline) return 0;
        await sleep(Math.max(100, this.timing.pollIntervalMs));
      }
    }
  }

  private connectionFailed(error: unknown): void {
    const failure = asError(error);
    // An outage repeats the same error at every poll: report each new one once.
    if (failure.message === this.lastError) return;
    this.lastError = failure.message;
    this.options.onConnectionError?.(failure);
  }

  private connectionWorks(): void {
    if (!this.lastError) return;
    this.lastError = '';
    this.options.onConnectionRestored?.();
  }
}
