// The delivery worker's two statements on webhook_deliveries, each run for a batch of attempts
// (Batcher): before sending, create the rows that do not exist yet and read what the attempts need;
// after sending, record each attempt's outcome on its row.
//
// The first commits without waiting for its WAL flush (synchronous_commit off, for that statement
// alone), as it is on every delivery's way to its receiver; the second waits, and its flush makes
// the first durable too (the WAL is written in order). Should a database crash lose a row created
// by the first, the second creates it again.
import type { Database } from '@personal-automations/db';
import type { DeliveryJobData } from '../jobs/payloads.ts';
import type { AttemptOutcome } from './sender.ts';

/** What an attempt learns before sending: null when the webhook is gone. */
export type DeliveryTarget = { url: string; secret: string; isActive: boolean; delivered: boolean } | null;

type TargetRow = { id: string; url: string | null; secret: string | null; isActive: boolean | null; delivered: boolean };

/**
 * Creates the missing rows of the jobs' deliveries (of active webhooks), as they are first
 * attempted, and returns each job's webhook and whether its row is already delivered. The
 * webhooks are locked FOR KEY SHARE for the statement, so a webhook being deleted (WebhookService
 * locks it FOR UPDATE) is either gone here, or deleted after the rows are in, with them.
 * `created_at` and `delivered_at` are UTC wall times (the columns have no zone, as the original's).
 */
export async function prepareDeliveries(db: Database, jobs: DeliveryJobData[]): Promise<DeliveryTarget[]> {
  const rows = await db.$queryRaw<TargetRow[]>`
    WITH input AS (
      SELECT * FROM unnest(${jobs.map((j) => j.deliveryId)}::uuid[], ${jobs.map((j) => j.webhookId)}::uuid[],
        ${jobs.map((j) => j.eventType)}::text[], ${jobs.map((j) => j.body)}::text[]) AS i(id, webhook_id, event_type, payload)),
    hooks AS (
      SELECT id, url, secret, is_active FROM webhooks WHERE id IN (SELECT webhook_id FROM input) FOR KEY SHARE),
    created AS (
      INSERT INTO webhook_deliveries (id, webhook_id, event_type, payload, attempt_count, success, created_at)
      SELECT i.id, i.webhook_id, i.event_type, i.payload, 0, false, now() AT TIME ZONE 'UTC'
      FROM input i JOIN hooks h ON h.id = i.webhook_id AND h.is_active
      ON CONFLICT (id) DO NOTHING)
    SELECT i.id::text AS id, h.url, h.secret, h.is_active AS "isActive", coalesce(d.success, false) AS delivered,
      set_config('synchronous_commit', 'off', true) AS "asyncCommit"
    FROM input i LEFT JOIN hooks h ON h.id = i.webhook_id LEFT JOIN webhook_deliveries d ON d.id = i.id`;
  const byId = new Map(rows.map((row) => [row.id, row]));
  return jobs.map((job) => {
    const row = byId.get(job.deliveryId);
    if (!row || row.url === null || row.secret === null) return null;
    return { url: row.url, secret: row.secret, isActive: row.isActive === true, delivered: row.delivered };
  });
}

export type AttemptRecord = { job: DeliveryJobData; outcome: AttemptOutcome };

/**
 * Records each attempt on its row (so a row shows its latest attempt; `delivered_at` is when a
 * response arrived, whatever its status) and counts it; a row missing although its webhook is
 * there is created with this attempt. Returns whether each webhook still existed: one deleted
 * meanwhile took its rows with it, and gets none back (its lock is taken as in prepareDeliveries).
 */
export async function recordAttempts(db: Database, records: AttemptRecord[]): Promise<boolean[]> {
  const jobs = <T>(pick: (job: DeliveryJobData) => T) => records.map((r) => pick(r.job));
  const outcomes = <T>(pick: (outcome: AttemptOutcome) => T) => records.map((r) => pick(r.outcome));
  const recorded = await db.$queryRaw<{ id: string }[]>`
    WITH input AS (
      SELECT * FROM unnest(${jobs((j) => j.deliveryId)}::uuid[], ${jobs((j) => j.webhookId)}::uuid[],
        ${jobs((j) => j.eventType)}::text[], ${jobs((j) => j.body)}::text[], ${outcomes((o) => o.statusCode)}::int[],
        ${outcomes((o) => o.responseBody)}::text[], ${outcomes((o) => o.error)}::text[], ${outcomes((o) => o.success)}::bool[],
        ${outcomes((o) => o.respondedAt?.toISOString() ?? null)}::timestamptz[])
        AS i(id, webhook_id, event_type, payload, status, body, error, success, responded_at)),
    hooks AS (SELECT id FROM webhooks WHERE id IN (SELECT webhook_id FROM input) FOR KEY SHARE)
    INSERT INTO webhook_deliveries AS d (id, webhook_id, event_type, payload, created_at,
      response_status, response_body, error_message, success, delivered_at, attempt_count)
    SELECT i.id, i.webhook_id, i.event_type, i.payload, now() AT TIME ZONE 'UTC',
      i.status, i.body, i.error, i.success, i.responded_at AT TIME ZONE 'UTC', 1
    FROM input i JOIN hooks h ON h.id = i.webhook_id
    ON CONFLICT (id) DO UPDATE SET
      response_status = excluded.response_status, response_body = excluded.response_body, error_message = excluded.error_message,
      success = excluded.success, delivered_at = excluded.delivered_at, attempt_count = d.attempt_count + 1
    RETURNING d.id::text AS id`;
  const found = new Set(recorded.map((row) => row.id));
  return records.map((r) => found.has(r.job.deliveryId));
}
