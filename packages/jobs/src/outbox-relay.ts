// Moves domain events from the outbox table into the delivery queue. Each round claims a batch
// of undispatched rows with FOR UPDATE SKIP LOCKED (so relays in several processes never take
// the same row), enqueues one job per subscribed webhook, and marks the rows dispatched in the
// same transaction. If the job backend cannot take the jobs, the transaction rolls back and the
// rows wait for the next round; jobs have stable ids, so a round that is repeated adds nothing
// twice. A queue that can join the transaction (the jobs table) adds the jobs inside it, so they
// commit with the rows marked dispatched; it must, on the embedded database, whose one connection
// the transaction holds. BullMQ cannot: it adds them to Redis before the commit, and the stable ids
// make a round repeated after a lost commit harmless.
import type { Logger } from 'pino';
import type { Settings } from '@personal-automations/config';
import type { Database, Prisma } from '@personal-automations/db';
import { handOver, type TraceCarrier } from '@personal-automations/observability/trace-hooks';
import {
  type DeliveryJobData,
  deliveryBody,
  deliveryIdFor,
  findSubscribers,
  type JobQueue,
  type NewJob,
  QUEUE_NAMES,
  receives,
} from '@personal-automations/services';

type OutboxRow = { id: string; event_type: string; payload: unknown; created_at: Date; trace_context: TraceCarrier | null };

/** Delivered jobs are kept a day (so a repeated round still finds their ids), failed ones a week. */
export const DELIVERY_JOB_RETENTION = { completedSeconds: 24 * 3600, failedSeconds: 7 * 24 * 3600 };

export type OutboxRelayOptions = {
  db: Database;
  /** The delivery queue; when it joins transactions, they are the relay's own Prisma transactions. */
  queue: JobQueue<DeliveryJobData, unknown, Prisma.TransactionClient>;
  settings: Settings;
  logger: Logger;
};

export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private failing = false;
  constructor(options: OutboxRelayOptions) {
    this.options = options;
  }

  /** One round; returns how many outbox rows it dispatched (0 when there were none, or it failed). */
  async relayBatch(): Promise<number> {
    const { db, queue, settings } = this.options;
    let claimed: string[] = [];
    try {
      return await db.$transaction(
        async (tx) => {
          const events = await tx.$queryRaw<OutboxRow[]>`
            SELECT id, event_type, payload, created_at, trace_context FROM outbox_events
            WHERE dispatched_at IS NULL
            ORDER BY created_at, id
            LIMIT ${settings.OUTBOX_BATCH_SIZE}
            FOR UPDATE SKIP LOCKED`;
          if (!events.length) return 0;
          claimed = events.map((e) => e.id);
          const subscribers = await findSubscribers(tx, [...new Set(events.map((e) => e.event_type))]);
          const jobs = events.flatMap((event): NewJob<DeliveryJobData>[] =>
            subscribers
              .filter((subscriber) => receives(subscriber, event.event_type, event.payload))
              .map((subscriber) => {
                const deliveryId = deliveryIdFor(event.id, subscriber.id);
                const data: DeliveryJobData = {
                  deliveryId,
                  webhookId: subscriber.id,
                  eventType: event.event_type,
                  body: deliveryBody(event.event_type, event.created_at, event.payload),
                  eventAt: event.created_at.toISOString(),
                  // the delivery continues the trace of the change that wrote the event (tracing on)
                  trace: handOver(`${QUEUE_NAMES.webhookDeliveries} publish`, event.trace_context, { 'messaging.message.id': deliveryId }),
                };
                const options = { jobId: deliveryId, attempts: settings.WEBHOOK_MAX_ATTEMPTS, keep: DELIVERY_JOB_RETENTION };
                return { name: event.event_type, data, options };
              }),
          );
          await queue.addBulk(jobs, queue.joinsTransactions ? { transaction: tx } : {});
          await tx.outboxEvent.updateMany({
            where: { id: { in: claimed } },
            data: { dispatchedAt: new Date(), attempts: { increment: 1 }, lastError: null },
          });
          return events.length;
        },
        { timeout: 30_000, maxWait: 10_000 },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (claimed.length) {
        await db.outboxEvent
          .updateMany({
            where: { id: { in: claimed }, dispatchedAt: null },
            data: { attempts: { increment: 1 }, lastError: message.slice(0, 1000) },
          })
          .catch(() => {});
      }
      throw error;
    }
  }

  /** Relays until stop(): a full batch is followed at once by the next, otherwise it waits OUTBOX_POLL_INTERVAL_MS. */
  start(): void {
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    const { settings, logger } = this.options;
    while (!this.stopping) {
      let dispatched = 0;
      try {
        dispatched = await this.relayBatch();
        if (this.failing) logger.info('outbox relay recovered');
        this.failing = false;
      } catch (error) {
        // logged once per outage, not once per round
        if (!this.failing)
          logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'outbox relay failed; events stay in the outbox');
        this.failing = true;
      }
      if (dispatched < settings.OUTBOX_BATCH_SIZE && !this.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, settings.OUTBOX_POLL_INTERVAL_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Stops after the round in progress, if any. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }
}
