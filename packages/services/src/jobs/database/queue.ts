// The producer side of the database job backend: jobs are rows, added with ON CONFLICT DO NOTHING
// so a stable id dedupes, through the caller's transaction when it gives one.
import { randomUUID } from 'node:crypto';
import type { AddBulkOptions, JobCounts, JobInfo, JobOptions, JobQueue, NewJob } from '../backend.ts';
import { countJobs, insertJobs, type SqlClient, selectJob } from './statements.ts';

/** A queue of the `jobs` table. The transaction addBulk can join is a Prisma transaction client (SqlClient) on the same database. */
export class DatabaseJobQueue<Data, Result> implements JobQueue<Data, Result, SqlClient> {
  readonly name: string;
  /** Its jobs are rows of the caller's database: an INSERT in the caller's transaction. */
  readonly joinsTransactions = true;
  private readonly db: SqlClient;
  /** Tells this process's idle workers of the queue that a job is there. */
  private readonly onAdded: () => void;

  constructor(db: SqlClient, name: string, onAdded: () => void) {
    this.db = db;
    this.name = name;
    this.onAdded = onAdded;
  }

  async add(name: string, data: Data, options?: JobOptions): Promise<string> {
    const id = options?.jobId ?? randomUUID();
    await insertJobs(this.db, [{ queue: this.name, id, name, data, options }]);
    this.onAdded();
    return id;
  }

  async addBulk(jobs: NewJob<Data>[], options?: AddBulkOptions<SqlClient>): Promise<void> {
    if (!jobs.length) return;
    const rows = jobs.map((job) => ({
      queue: this.name,
      id: job.options?.jobId ?? randomUUID(),
      name: job.name,
      data: job.data,
      options: job.options,
    }));
    await insertJobs(options?.transaction ?? this.db, rows);
    // Inside a transaction the rows are invisible until it commits: the caller announces them then (or the next poll finds them).
    if (!options?.transaction) this.onAdded();
  }

  announce(): void {
    this.onAdded();
  }

  async getJob(id: string): Promise<JobInfo<Data, Result> | null> {
    return (await selectJob(this.db, this.name, id)) as JobInfo<Data, Result> | null;
  }

  counts(): Promise<JobCounts> {
    return countJobs(this.db, this.name);
  }
}
