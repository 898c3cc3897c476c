// The SQL of the database job backend, one statement per step (no interactive transactions: the
// embedded PGlite database has a single pooled connection). Times come from the database's clock,
// shared by every process. A worker's updates to a claimed row are guarded by its claim token
// (locked_by): once the lease has expired and another worker took the job, they match nothing.
import { Prisma } from '@personal-automations/db';
import type { JobCounts, JobInfo, JobOptions, JobState } from '../backend.ts';

/** What runs the SQL: the Prisma client or a transaction's client. */
export type SqlClient = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

export type JobRow = { queue: string; id: string; name: string; data: unknown; options?: JobOptions };

/** Rows per INSERT: 7 parameters each stays far below PostgreSQL's 65535. */
const INSERT_CHUNK = 1000;

const json = (value: unknown) => Prisma.sql`${JSON.stringify(value ?? null)}::jsonb`;
const afterMs = (ms: number) => Prisma.sql`now() + ${Math.max(0, Math.round(ms))}::int * interval '1 millisecond'`;
const keepSeconds = (seconds: number | undefined) => (seconds === undefined ? null : Math.max(0, Math.round(seconds)));

const values = (row: JobRow) =>
  Prisma.sql`(${row.queue}, ${row.id}, ${row.name}, ${json(row.data)}, ${Math.max(1, row.options?.attempts ?? 1)}::int,
    ${keepSeconds(row.options?.keep?.completedSeconds)}::int, ${keepSeconds(row.options?.keep?.failedSeconds)}::int)`;

/** Adds the jobs; an id already in its queue is skipped (stable ids dedupe). */
export async function insertJobs(client: SqlClient, rows: JobRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    await client.$executeRaw`
      INSERT INTO jobs (queue, id, name, data, max_attempts, keep_completed_seconds, keep_failed_seconds)
      VALUES ${Prisma.join(rows.slice(start, start + INSERT_CHUNK).map(values))}
      ON CONFLICT DO NOTHING`;
  }
}

/** Adds a periodic run unless an earlier run of the same job is still waiting (no backlog after an outage). */
export async function insertRepeatRun(client: SqlClient, row: JobRow): Promise<void> {
  await client.$executeRaw`
    INSERT INTO jobs (queue, id, name, data, max_attempts, keep_completed_seconds, keep_failed_seconds)
    SELECT * FROM (VALUES ${values(row)}) AS run
    WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE queue = ${row.queue} AND name = ${row.name} AND state = 'waiting')
    ON CONFLICT DO NOTHING`;
}

type JobInfoRow = Omit<JobInfo, 'state'> & { state: JobState };

/** The job as getJob reports it: a waiting row due later is 'delayed'; a row past its retention is gone. */
export async function selectJob(client: SqlClient, queue: string, id: string): Promise<JobInfo | null> {
  const rows = await client.$queryRaw<JobInfoRow[]>`
    SELECT id, name, data, attempts_made AS "attemptsMade", progress, result, failed_reason AS "failedReason",
      CASE WHEN state = 'waiting' AND run_at > now() THEN 'delayed' ELSE state END AS state
    FROM jobs
    WHERE queue = ${queue} AND id = ${id} AND (remove_after IS NULL OR remove_after > now())`;
  return rows[0] ?? null;
}

/** How many of the queue's jobs are in each state (delayed: waiting for a later run_at), for the metrics. */
export async function countJobs(client: SqlClient, queue: string): Promise<JobCounts> {
  const rows = await client.$queryRaw<{ state: JobState; count: number }[]>`
    SELECT CASE WHEN state = 'waiting' AND run_at > now() THEN 'delayed' ELSE state END AS state, count(*)::int AS count
    FROM jobs
    WHERE queue = ${queue} AND (remove_after IS NULL OR remove_after > now())
    GROUP BY 1`;
  return Object.fromEntries(rows.map((row) => [row.state, row.count]));
}

export type ClaimedJob = { id: string; name: string; data: unknown; attemptsMade: number; maxAttempts: number };

/**
 * Takes up to `limit` due jobs of the queue for `token`: waiting ones whose time has come and
 * active ones whose lease expired (their process died). SKIP LOCKED lets concurrent claims pass
 * each other without taking the same row; the CTE is materialized so the locking SELECT runs once.
 */
export function claimJobs(client: SqlClient, queue: string, token: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
  return client.$queryRaw<ClaimedJob[]>`
    WITH due AS MATERIALIZED (
      SELECT queue, id FROM jobs
      WHERE queue = ${queue}
        AND ((state = 'waiting' AND run_at <= now()) OR (state = 'active' AND locked_until < now() AND stalled_count < ${MAX_STALLS}::int))
      ORDER BY run_at
      LIMIT ${limit}::int
      FOR UPDATE SKIP LOCKED)
    UPDATE jobs SET state = 'active', locked_by = ${token}::uuid, locked_until = ${afterMs(leaseMs)},
      stalled_count = jobs.stalled_count + CASE WHEN jobs.state = 'active' THEN 1 ELSE 0 END
    FROM due
    WHERE jobs.queue = due.queue AND jobs.id = due.id
    RETURNING jobs.id, jobs.name, jobs.data, jobs.attempts_made AS "attemptsMade", jobs.max_attempts AS "maxAttempts"`;
}

/** A claimed row, named by its claim token. */
export type Claim = { queue: string; id: string; token: string };
const claimed = (claim: Claim) => Prisma.sql`queue = ${claim.queue} AND id = ${claim.id} AND locked_by = ${claim.token}::uuid`;
const unlock = Prisma.sql`locked_by = NULL, locked_until = NULL`;

/**
 * How often a job may lose its process mid-try and be run again (BullMQ's maxStalledCount): a
 * job that keeps killing its process fails instead of looping forever.
 */
export const MAX_STALLS = 1;

/** Fails the jobs whose lease expired once more than MAX_STALLS allows (claims pass them over). */
export function failStalledJobs(client: SqlClient): Promise<number> {
  return client.$executeRaw`
    UPDATE jobs SET state = 'failed', failed_reason = 'job stalled more than allowable limit', ${unlock},
      finished_at = now(), remove_after = now() + keep_failed_seconds * interval '1 second'
    WHERE state = 'active' AND locked_until < now() AND stalled_count >= ${MAX_STALLS}::int`;
}

/** Extends the lease of a running try; 0 when the job is no longer this claim's. */
export function renewLease(client: SqlClient, claim: Claim, leaseMs: number): Promise<number> {
  return client.$executeRaw`UPDATE jobs SET locked_until = ${afterMs(leaseMs)} WHERE ${claimed(claim)}`;
}

export function setProgress(client: SqlClient, claim: Claim, percent: number): Promise<number> {
  const progress = Math.min(100, Math.max(0, Math.round(percent)));
  return client.$executeRaw`UPDATE jobs SET progress = ${progress}::int WHERE ${claimed(claim)}`;
}

/** Puts the job back as due after `delayMs`, without counting the try. */
export function releaseJob(client: SqlClient, claim: Claim, delayMs = 0): Promise<number> {
  return client.$executeRaw`UPDATE jobs SET state = 'waiting', run_at = ${afterMs(delayMs)}, ${unlock} WHERE ${claimed(claim)}`;
}

/** Puts back every job of a claim (taken while the worker was closing). */
export function releaseClaim(client: SqlClient, queue: string, token: string): Promise<number> {
  return client.$executeRaw`
    UPDATE jobs SET state = 'waiting', run_at = now(), ${unlock} WHERE queue = ${queue} AND locked_by = ${token}::uuid`;
}

export function completeJob(client: SqlClient, claim: Claim, resultJson: string): Promise<number> {
  return client.$executeRaw`
    UPDATE jobs SET state = 'completed', attempts_made = attempts_made + 1, result = ${resultJson}::jsonb, ${unlock},
      finished_at = now(), remove_after = now() + keep_completed_seconds * interval '1 second'
    WHERE ${claimed(claim)}`;
}

/** A failed try: due again after `retryInMs`, or failed for good when that is null. */
export function failTry(client: SqlClient, claim: Claim, reason: string, retryInMs: number | null): Promise<number> {
  if (retryInMs !== null) {
    return client.$executeRaw`
      UPDATE jobs SET state = 'waiting', attempts_made = attempts_made + 1, failed_reason = ${reason}, ${unlock},
        run_at = ${afterMs(retryInMs)}
      WHERE ${claimed(claim)}`;
  }
  return client.$executeRaw`
    UPDATE jobs SET state = 'failed', attempts_made = attempts_made + 1, failed_reason = ${reason}, ${unlock},
      finished_at = now(), remove_after = now() + keep_failed_seconds * interval '1 second'
    WHERE ${claimed(claim)}`;
}

/** Deletes finished jobs past their retention. */
export function deleteExpiredJobs(client: SqlClient): Promise<number> {
  return client.$executeRaw`DELETE FROM jobs WHERE remove_after <= now()`;
}
