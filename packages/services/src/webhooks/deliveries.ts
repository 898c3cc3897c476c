// The delivery log (webhook_deliveries) and one attempt of a queued delivery. There is one row
// per (event, webhook): its id is derived from the two, so however often the relay or BullMQ
// repeats a job, every attempt lands on the same row, and a delivered row is never sent again.
import { createHash } from 'node:crypto';
import type { WebhookDeliveryRead } from '@personal-automations/contracts';
import type { Database, WebhookDelivery } from '@personal-automations/db';
import { Batcher } from '../batcher.ts';
import type { DeliveryJobData } from '../jobs/payloads.ts';
import { isoOffset, isoOffsetOrNull } from '../serialize.ts';
import { type AttemptRecord, type DeliveryTarget, prepareDeliveries, recordAttempts } from './delivery-log.ts';
import { EndpointLimits } from './endpoint-limits.ts';
import type { WebhookLogger } from './failures.ts';
import type { AttemptOutcome, WebhookSender } from './sender.ts';

/** Namespace of the name-based (RFC 4122 version 5) delivery ids. */
const DELIVERY_ID_NAMESPACE = Buffer.from('6f1b2d3e4c5a4b6c8d7e9f0a1b2c3d4e', 'hex');

/** The delivery row id of `outboxEventId` sent to `webhookId` (a UUID v5). */
export function deliveryIdFor(outboxEventId: string, webhookId: string): string {
  const hash = createHash('sha1').update(DELIVERY_ID_NAMESPACE).update(`${outboxEventId}/${webhookId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const toDeliveryRead = (row: WebhookDelivery): WebhookDeliveryRead => ({
  id: row.id,
  webhook_id: row.webhookId,
  event_type: row.eventType,
  response_status: row.responseStatus,
  error_message: row.errorMessage,
  attempt_count: row.attemptCount,
  success: row.success,
  created_at: isoOffset(row.createdAt),
  delivered_at: isoOffsetOrNull(row.deliveredAt),
});

/**
 * The columns one attempt sets (so a row shows its latest attempt): `delivered_at` is when a
 * response arrived, whatever its status; `error_message` is why none came, in fixed words.
 */
export const attemptColumns = (outcome: AttemptOutcome) => ({
  responseStatus: outcome.statusCode,
  responseBody: outcome.responseBody,
  errorMessage: outcome.error,
  deliveredAt: outcome.respondedAt,
  success: outcome.success,
});

export type AttemptResult =
  | { status: 'delivered'; statusCode: number }
  | { status: 'failed'; error: string; permanent: boolean; statusCode: number | null }
  | { status: 'skipped'; reason: string }
  /** The receiver already has its bound of attempts in flight: the job waits `delayMs`, and this attempt does not count. */
  | { status: 'deferred'; delayMs: number };

/**
 * Exponential backoff with jitter for failed deliveries: attempt n waits a random time between
 * half and all of min(max, base * 2^(n-1)), so receivers coming back are not hit by every
 * retry at once.
 */
export function retryDelayMs(attemptsMade: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export type DeliveryServiceOptions = {
  /** WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: attempts in flight to one receiver from this process. */
  maxInFlightPerEndpoint: number;
};

export class DeliveryService {
  private readonly sender: WebhookSender;
  private readonly endpoints: EndpointLimits;
  private readonly prepares: Batcher<DeliveryJobData, DeliveryTarget>;
  private readonly records: Batcher<AttemptRecord, boolean>;
  constructor(db: Database, sender: WebhookSender, options: DeliveryServiceOptions) {
    this.sender = sender;
    this.endpoints = new EndpointLimits(options.maxInFlightPerEndpoint);
    this.prepares = new Batcher((jobs) => prepareDeliveries(db, jobs));
    this.records = new Batcher((records) => recordAttempts(db, records));
  }

  /**
   * One attempt of a queued delivery, recorded on its row. The webhook is read again each time,
   * so a new URL or secret applies to the retries; a deleted or deactivated webhook ends them. An
   * attempt to a receiver that keeps its bound of attempts in flight is deferred, not sent.
   * `log` (the worker's) hears the details of a failed attempt.
   */
  async attempt(job: DeliveryJobData, log: WebhookLogger): Promise<AttemptResult> {
    const target = await this.prepares.call(job);
    if (!target) return { status: 'skipped', reason: 'webhook deleted' };
    if (!target.isActive) return { status: 'skipped', reason: 'webhook inactive' };
    if (target.delivered) return { status: 'skipped', reason: 'already delivered' };
    const release = await this.endpoints.acquire(target.url);
    if (!release) return { status: 'deferred', delayMs: this.endpoints.deferMs(target.url) };
    let outcome: AttemptOutcome;
    try {
      outcome = await this.sender.send(
        { url: target.url, secret: target.secret, eventType: job.eventType, body: job.body, messageId: job.deliveryId },
        log,
      );
    } finally {
      release();
    }
    if (!(await this.records.call({ job, outcome }))) return { status: 'skipped', reason: 'webhook deleted' };
    if (outcome.success) return { status: 'delivered', statusCode: outcome.statusCode! };
    return {
      status: 'failed',
      error: outcome.error ?? `HTTP ${outcome.statusCode}`,
      permanent: outcome.refused,
      statusCode: outcome.statusCode,
    };
  }
}
