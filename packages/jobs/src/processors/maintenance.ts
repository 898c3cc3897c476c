// The scheduler's periodic jobs.
import type { Logger } from 'pino';
import type { Settings } from '@personal-automations/config';
import {
  type DeliveryPrune,
  MAINTENANCE_JOBS,
  type MaintenanceService,
  PermanentJobError,
  type RunningJob,
  type SessionCleanup,
} from '@personal-automations/services';

export function maintenanceProcessor(maintenance: MaintenanceService, settings: Settings, logger: Logger) {
  return async (job: RunningJob<unknown>): Promise<SessionCleanup | DeliveryPrune> => {
    switch (job.name) {
      case MAINTENANCE_JOBS.cleanupSessions: {
        const result = await maintenance.cleanupSessions(settings.SESSION_RETENTION_DAYS);
        logger.info(result, 'expired and old inactive sessions removed');
        return result;
      }
      case MAINTENANCE_JOBS.pruneDeliveries: {
        const result = await maintenance.pruneDeliveries(settings.DELIVERY_RETENTION_DAYS);
        logger.info(result, 'old delivery log rows removed');
        return result;
      }
      default:
        throw new PermanentJobError(`Unknown maintenance job: ${job.name}`);
    }
  };
}
