import type { Prisma } from '@personal-automations/db';
import { traceCarrier } from '@personal-automations/observability/trace-hooks';

/** Events that third parties can subscribe to with webhooks. */
export type DomainEventType =
  | 'user.created'
  | 'user.updated'
  | 'user.deleted'
  | 'item.created'
  | 'item.updated'
  | 'item.deleted'
  | 'conversation.created';

/**
 * Records a domain event in the outbox, inside the transaction that made the change, so the
 * event exists exactly when the change does. The worker delivers outbox rows to webhooks. With
 * tracing on, the row keeps the change's trace context, so its deliveries join the same trace.
 */
export async function publishEvent(tx: Prisma.TransactionClient, type: DomainEventType, data: Record<string, unknown>): Promise<void> {
  const traceContext = traceCarrier();
  await tx.outboxEvent.create({
    data: { eventType: type, payload: data as Prisma.InputJsonObject, ...(traceContext && { traceContext }) },
  });
}
