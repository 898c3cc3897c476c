// One round of the outbox relay reads and writes in a single statement: it claims the oldest
// undispatched events (FOR UPDATE SKIP LOCKED, so concurrent relays pass each other), marks them
// dispatched, and reads the webhooks that may receive them. Inside the relay's transaction: if the
// jobs cannot be enqueued, the transaction rolls back and the events are undispatched again.
//
// The transaction commits without waiting for its WAL flush (synchronous_commit off, for it
// alone): a flush is a disk sync, milliseconds on every event's way to its receivers. What a
// database crash can lose of it is the dispatched mark (with the jobs-table backend, together with
// its jobs): the events are then relayed again, and the jobs' stable ids and the delivery rows
// keep that from sending anything twice.
import type { Prisma } from '@personal-automations/db';
import type { Subscriber } from './subscribers.ts';

/** `traceContext`: the W3C trace headers of the change that wrote the event (null when tracing is off). */
export type OutboxEventRow = {
  id: string;
  eventType: string;
  payload: unknown;
  createdAt: Date;
  traceContext: Record<string, string> | null;
};

export type OutboxBatch = { events: OutboxEventRow[]; subscribers: Subscriber[] };

type BatchRow = {
  events: { id: string; eventType: string; payload: unknown; createdAtMs: number; traceContext: Record<string, string> | null }[];
  subscribers: Subscriber[];
};

/**
 * Claims up to `limit` events, oldest first, and returns them with the active webhooks subscribed
 * to any of their types whose owner (if any) is active (`receives` picks each event's receivers).
 * `createdAtMs` is whole milliseconds, as the delivery body's timestamp carries them.
 */
export async function claimOutboxBatch(tx: Prisma.TransactionClient, limit: number): Promise<OutboxBatch> {
  const [row] = await tx.$queryRaw<BatchRow[]>`
    WITH claimed AS (
      SELECT id FROM outbox_events WHERE dispatched_at IS NULL ORDER BY created_at, id LIMIT ${limit}::int FOR UPDATE SKIP LOCKED),
    marked AS (
      UPDATE outbox_events o SET dispatched_at = now(), attempts = o.attempts + 1, last_error = NULL
      FROM claimed WHERE o.id = claimed.id
      RETURNING o.id, o.event_type, o.payload, o.created_at, o.trace_context)
    SELECT
      (SELECT coalesce(json_agg(json_build_object('id', m.id, 'eventType', m.event_type, 'payload', m.payload,
          'createdAtMs', floor(extract(epoch FROM m.created_at) * 1000), 'traceContext', m.trace_context) ORDER BY m.created_at, m.id), '[]')
        FROM marked m) AS events,
      (SELECT coalesce(json_agg(json_build_object('id', w.id, 'userId', w.user_id, 'events', w.events,
          'ownerIsAdmin', coalesce(u.role = 'admin', false))), '[]')
        FROM webhooks w LEFT JOIN users u ON u.id = w.user_id
        WHERE w.is_active AND (w.user_id IS NULL OR u.is_active)
          AND w.events && ARRAY(SELECT DISTINCT m.event_type FROM marked m)::varchar[]) AS subscribers,
      set_config('synchronous_commit', 'off', true) AS "asyncCommit"`;
  const { events, subscribers } = row!;
  return {
    events: events.map(({ createdAtMs, ...event }) => ({ ...event, createdAt: new Date(Number(createdAtMs)) })),
    subscribers,
  };
}
