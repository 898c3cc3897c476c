// The job-queue interface on a PostgreSQL table (`jobs`), for when there is no Redis: jobs survive
// restarts with the database, several worker processes share a queue safely (FOR UPDATE SKIP
// LOCKED claims, leases), and it runs on the embedded PGlite database too (single statements only).
import type { Database } from '@personal-automations/db';
import type { JobBackend, JobProcessor, JobQueue, JobWorker, JobWorkerOptions } from './backend.ts';
import { DatabaseJobQueue } from './database/queue.ts';
import { RepeatSchedule } from './database/repeat.ts';
import { deleteExpiredJobs, failStalledJobs, type SqlClient } from './database/statements.ts';
import { DatabaseJobWorker } from './database/worker.ts';

export type DatabaseJobBackendOptions = {
  /** How often an idle worker looks for due jobs (default 250 ms). Jobs added in this process wake it at once. */
  pollIntervalMs?: number;
  /** How long a try holds its job without renewal before another worker may take it over (default 30 s). */
  leaseMs?: number;
  /**
   * How often finished jobs past their retention are deleted and jobs stalled too often are failed
   * (default 1 min), from the workers' polls.
   */
  pruneIntervalMs?: number;
};

/** The backend that can add jobs inside the caller's transaction: `Transaction` is a Prisma transaction client (SqlClient). */
export class DatabaseJobBackend implements JobBackend<SqlClient> {
  readonly kind = 'postgresql' as const;
  private readonly db: Database;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly pruneIntervalMs: number;
  /** This process's workers by queue, woken when a job is added here. */
  private readonly workers = new Map<string, Set<{ wake(): void }>>();
  private readonly schedules = new Map<string, RepeatSchedule>();
  private lastPrune = 0;

  constructor(db: Database, options: DatabaseJobBackendOptions = {}) {
    this.db = db;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  }

  queue<Data = unknown, Result = unknown>(name: string): JobQueue<Data, Result, SqlClient> {
    return new DatabaseJobQueue<Data, Result>(this.db, name, () => this.wakeWorkers(name));
  }

  work<Data = unknown, Result = unknown>(queueName: string, processor: JobProcessor<Data, Result>, options: JobWorkerOptions): JobWorker {
    const local = this.workers.get(queueName) ?? new Set();
    this.workers.set(queueName, local);
    const worker = new DatabaseJobWorker(
      this.db,
      queueName,
      processor,
      options,
      { pollIntervalMs: this.pollIntervalMs, leaseMs: this.leaseMs },
      { beforeClaim: () => this.pruneWhenDue(), onClose: () => local.delete(worker) },
    );
    local.add(worker);
    return worker;
  }

  async repeat(queueName: string, jobName: string, everyMs: number): Promise<void> {
    if (!(everyMs > 0)) throw new RangeError(`everyMs must be positive, got ${everyMs}`);
    const key = JSON.stringify([queueName, jobName]);
    this.schedules.get(key)?.stop(); // registering again replaces the period
    const schedule = new RepeatSchedule(this.db, queueName, jobName, everyMs, () => this.wakeWorkers(queueName));
    this.schedules.set(key, schedule);
    await schedule.start();
  }

  /** Stops the repeat timers; the Prisma client stays open (its owner disconnects it). */
  async close(): Promise<void> {
    for (const schedule of this.schedules.values()) schedule.stop();
    this.schedules.clear();
  }

  private wakeWorkers(queueName: string): void {
    for (const worker of this.workers.get(queueName) ?? []) worker.wake();
  }

  private pruneWhenDue(): void {
    const now = Date.now();
    if (now - this.lastPrune < this.pruneIntervalMs) return;
    this.lastPrune = now;
    // An unreachable database is reported by the claim that follows.
    deleteExpiredJobs(this.db).catch(() => {});
    failStalledJobs(this.db).catch(() => {});
  }
}
