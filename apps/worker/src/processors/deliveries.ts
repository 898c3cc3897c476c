// Runs one attempt of a webhook delivery. A failed attempt throws, so the job backend retries it
// with the worker's backoff until WEBHOOK_MAX_ATTEMPTS; a URL refused by the SSRF guard is not retried.
import { PermanentJobError, type AttemptResult, type DeliveryJobData, type DeliveryService, type RunningJob } from '@personal-automations/services';

export function deliveryProcessor(deliveries: DeliveryService) {
  return async (job: RunningJob<DeliveryJobData>): Promise<AttemptResult> => {
    const result = await deliveries.attempt(job.data);
    if (result.status === 'failed') {
      if (result.permanent) throw new PermanentJobError(result.error);
      throw new Error(result.error);
    }
    return result;
  };
}
