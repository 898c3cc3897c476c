// Runs one attempt of a webhook delivery. A failed attempt throws, so BullMQ retries it with the
// custom backoff until WEBHOOK_MAX_ATTEMPTS; a URL refused by the SSRF guard is not retried.
import { UnrecoverableError, type Job } from 'bullmq';
import type { AttemptResult, DeliveryJobData, DeliveryService } from '@personal-automations/services';

export function deliveryProcessor(deliveries: DeliveryService) {
  return async (job: Job<DeliveryJobData>): Promise<AttemptResult> => {
    const result = await deliveries.attempt(job.data);
    if (result.status === 'failed') {
      if (result.permanent) throw new UnrecoverableError(result.error);
      throw new Error(result.error);
    }
    return result;
  };
}
