// Runs one attempt of a webhook delivery. A failed attempt throws, so the job backend retries it
// with the worker's backoff until WEBHOOK_MAX_ATTEMPTS; a URL refused by the SSRF guard is not
// retried; an attempt deferred because its receiver is at its in-flight bound goes back to the
// queue without counting (as an attempt, or in the metrics).
import { statusClass, webhookDeliveries, webhookDeliveryLatency } from '@personal-automations/observability';
import {
  type AttemptResult,
  type DeliveryJobData,
  type DeliveryService,
  PermanentJobError,
  type RunningJob,
  type WebhookLogger,
} from '@personal-automations/services';

/** Every attempt by result and the receiver's status class; a delivered one's time since its event was written. */
function countDelivery(job: DeliveryJobData, result: Exclude<AttemptResult, { status: 'deferred' }>): void {
  const refused = result.status === 'failed' && result.permanent;
  const code = result.status === 'skipped' ? null : result.statusCode;
  webhookDeliveries.inc({ result: refused ? 'refused' : result.status, status_class: statusClass(code) });
  if (result.status === 'delivered' && job.eventAt) webhookDeliveryLatency.observe((Date.now() - Date.parse(job.eventAt)) / 1000);
}

/** `log` gets what a failed attempt's fixed `error_message` leaves out (addresses, system error text). */
export function deliveryProcessor(deliveries: DeliveryService, log: WebhookLogger) {
  return async (job: RunningJob<DeliveryJobData>): Promise<AttemptResult> => {
    const result = await deliveries.attempt(job.data, log);
    if (result.status === 'deferred') throw await job.returnToQueue(result.delayMs);
    countDelivery(job.data, result);
    if (result.status === 'failed') {
      if (result.permanent) throw new PermanentJobError(result.error);
      throw new Error(result.error);
    }
    return result;
  };
}
