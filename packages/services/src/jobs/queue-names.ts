// The job queues by name, and the jobs of the maintenance queue: shared by the producers (API,
// CLI, outbox relay), the worker and the scheduler, whichever backend holds the queues.

export const QUEUE_NAMES = {
  /** One job per (domain event, webhook), retried with backoff. */
  webhookDeliveries: 'webhook-deliveries',
  /** The example tasks. */
  tasks: 'tasks',
  /** The scheduler's periodic jobs. */
  maintenance: 'maintenance',
} as const;

/** The scheduler's periodic jobs, on QUEUE_NAMES.maintenance. */
export const MAINTENANCE_JOBS = {
  cleanupSessions: 'cleanup-sessions',
  pruneDeliveries: 'prune-deliveries',
} as const;
export type MaintenanceJobName = (typeof MAINTENANCE_JOBS)[keyof typeof MAINTENANCE_JOBS];
