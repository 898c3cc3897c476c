// Webhook deliveries: how each attempt ended and how long an event took to reach its receiver.
import { Counter, Histogram } from 'prom-client';
import { registry } from './registry.ts';

export const webhookDeliveries = new Counter<'result' | 'status_class'>({
  name: 'pa_webhook_deliveries_total',
  help: 'Delivery attempts by result (delivered, failed, refused, skipped) and the receiver status class (2xx..5xx, none)',
  labelNames: ['result', 'status_class'],
  registers: [registry],
});

export const webhookDeliveryLatency = new Histogram({
  name: 'pa_webhook_delivery_latency_seconds',
  help: 'Time from a domain event being written to the outbox to its receiver answering 2xx, retries included',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400],
  registers: [registry],
});

/** `2xx`, `4xx`, ... of an HTTP status, or `none` when no response came. */
export const statusClass = (status: number | null | undefined): string => (status ? `${Math.floor(status / 100)}xx` : 'none');
