// Moves domain events from the outbox table into the delivery queue. Each round claims a batch
// of undispatched rows with FOR UPDATE SKIP LOCKED (so relays in several processes never take
// the same row) and marks them dispatched, in one statement with the read of their subscribers,
// then enqueues one job per receiving webhook, all in one transaction. If the job backend cannot take the jobs, the transaction rolls back and the
// rows wait for the next round; jobs have stable ids, so a round that is repeated adds nothing
// twice. A queue that can join the transaction (the jobs table) adds the jobs inside it, so they
// commit with the rows marked dispatched; it must, on the embedded database, whose one connection
// the transaction holds. BullMQ cannot: it adds them to Redis before the commit, and the stable ids
// make a round repeated after a lost commit harmless.
//
// A round starts when wake() is called (the worker calls it when PostgreSQL notifies that events
// committed) and otherwise every OUTBOX_POLL_INTERVAL_MS, the safety net for a notification that
// was lost (the listening connection was down) or never sent (the embedded database).
import type { Logger } from 'pino';
import type { Settings } from '@personal-automations/config';
import type { Database, Prisma } from '@personal-automations/db';
import { handOver } from '@personal-automations/observability/trace-hooks';
import {
  claimOutboxBatch,
  type DeliveryJobData,
  deliveryBody,
  deliveryIdFor,
  type JobQueue,
  type NewJob,
  type OutboxEventRow,
  QUEUE_NAMES,
  receives,
  type Subscriber,
} from '@personal-automations/services';

/** Delivered jobs are kept a day (so a repeated round still finds their ids), failed ones a week. */
export const DELIVERY_JOB_RETENTION = { completedSeconds: 24 * 3600, failedSeconds: 7 * 24 * 3600 };

export type OutboxRelayOptions = {
  db: Database;
  /** The delivery queue; when it joins transactions, they are the relay's own Prisma transactions. */
  queue: JobQueue<DeliveryJobData, unknown, Prisma.TransactionClient>;
  settings: Settings;
  logger: Logger;
};

/** One job per (event, webhook that receives it), its id the delivery id. */
function deliveryJobs(events: OutboxEventRow[], subscribers: Subscriber[], settings: Settings): NewJob<DeliveryJobData>[] {
  return events.flatMap((event) =>
    subscribers
      .filter((subscriber) => receives(subscriber, event.eventType, event.payload))
      .map((subscriber) => {
        const deliveryId = deliveryIdFor(event.id, subscriber.id);
        const data: DeliveryJobData = {
          deliveryId,
          webhookId: subscriber.id,
          eventType: event.eventType,
          body: deliveryBody(event.eventType, event.createdAt, event.payload),
          eventAt: event.createdAt.toISOString(),
          // the delivery continues the trace of the change that wrote the event (tracing on)
          trace: handOver(`${QUEUE_NAMES.webhookDeliveries} publish`, event.traceContext, { 'messaging.message.id': deliveryId }),
        };
        const options = { jobId: deliveryId, attempts: settings.WEBHOOK_MAX_ATTEMPTS, keep: DELIVERY_JOB_RETENTION };
        return { name: event.eventType, data, options };
      }),
  );
}

export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  /** A wake() arrived during a round: the next round starts at once, as its events may have missed this one. */
  private wakePending = false;
  private failing = false;
  constructor(options: OutboxRelayOptions) {
    this.options = options;
  }

  /** One round; returns how many outbox rows it dispatched (0 when there were none, or it failed). */
  async relayBatch(): Promise<number> {
    const { db, queue, settings } = this.options;
    let claimed: string[] = [];
    try {
      const dispatched = await db.$transaction(
        async (tx) => {
          const { events, subscribers } = await claimOutboxBatch(tx, settings.OUTBOX_BATCH_SIZE);
          if (!events.length) return 0;
          claimed = events.map((e) => e.id);
          await queue.addBulk(deliveryJobs(events, subscribers, settings), queue.joinsTransactions ? { transaction: tx } : {});
          return events.length;
        },
        { timeout: 30_000, maxWait: 10_000 },
      );
      // jobs added inside the transaction are visible from now on: this process's idle workers look at once
      if (dispatched && queue.joinsTransactions) queue.announce();
      return dispatched;
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

  /** Relays until stop(): a full batch is followed at once by the next, otherwise it waits for wake() or OUTBOX_POLL_INTERVAL_MS. */
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
      if (dispatched < settings.OUTBOX_BATCH_SIZE && !this.stopping) await this.idle(settings.OUTBOX_POLL_INTERVAL_MS);
    }
  }

  /** Until wake() or the poll interval; at once when a wake() came during the round. */
  private async idle(pollMs: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
    this.wakePending = false;
  }

  /** New events committed: the next round starts now (or right after the one in progress). */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }

  /** Stops after the round in progress, if any. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
  }
}
