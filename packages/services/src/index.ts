// What the other packages use of the services, and nothing more: the API, the job runtime
// (packages/jobs), the worker, the CLI, the platform and the benchmarks reach the services
// through `createServices()`, and import by name only what they must name themselves. The rest
// stays internal to this package (its own tests import the modules directly).

export { CANNOT_ASK_APPROVAL, REJECTED_BY_USER } from './agent/approval-step.ts';
export type { AgentApprovals } from './agent/approvals.ts';
export { NO_APPROVAL_PENDING } from './agent/approvals.ts';
export { agentApprovalPrefix, openApprovals } from './agent/approvals-redis.ts';
export type { AgentConnection, ConnectionEnd } from './agent/connection.ts';
export { UNKNOWN_TURN } from './agent/resume.ts';
export type { SocketLogin } from './agent/socket-session.ts';
export { agentSocketKeyPrefix, openAgentSocketSlots } from './agent/socket-slots.ts';
export { agentTurnKeyPrefix, openTurnLog } from './agent/turn-log-redis.ts';
export type { StreamedEvent } from './agent/turn-stream.ts';
// Logins, sessions and the agent socket
export { TOO_MANY_FAILED_LOGINS } from './auth/auth.ts';
export type { OAuthFlow } from './auth/oauth.ts';
export { HASHING_BUSY, hashPassword, verifyPassword } from './auth/passwords.ts';
export type { Revocation, RevocationBus, SessionNews } from './auth/revocations.ts';
export { LocalRevocationBus, RedisRevocationBus } from './auth/revocations.ts';
export type { AccessClaims } from './auth/tokens.ts';
export { TokenService } from './auth/tokens.ts';
export type { Services } from './container.ts';
// The services, built once per process
export { createServices } from './container.ts';
export type { DatabaseOutage, OutageLogger } from './database-outage.ts';
export type { ErrorCode } from './errors.ts';
// Typed errors, which the API maps to statuses once
export {
  AppError,
  AuthenticationError,
  AuthorizationError,
  BadRequestError,
  ExternalServiceError,
  NotAuthenticatedError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from './errors.ts';
export { publishEvent } from './events.ts';
export type { ReadinessCheck } from './health.ts';
export { ItemService } from './items.ts';
export type { JobBackend, JobProcessor, JobQueue, JobWorker, JobWorkerOptions, NewJob, RunningJob } from './jobs/backend.ts';
export { PermanentJobError } from './jobs/backend.ts';
export { BullmqJobBackend } from './jobs/bullmq-backend.ts';
export { DatabaseJobBackend } from './jobs/database-backend.ts';
export type { DeliveryPrune, MaintenanceService, SessionCleanup, StaleCounts } from './jobs/maintenance.ts';
export type { DeliveryJobData, TaskData, TaskName, TaskResult } from './jobs/payloads.ts';
// Jobs: the backends, queues and processors' inputs
export { MAINTENANCE_JOBS, QUEUE_NAMES } from './jobs/queue-names.ts';
export { firstConnection, queueConnection, queueLocation } from './jobs/redis-connection.ts';
export type { TaskStatus } from './jobs/tasks.ts';
export { TaskQueue } from './jobs/tasks.ts';
export type { Draw } from './limits/rate-limits.ts';
// Rate limits
export { budgetsFrom, RateLimits, rateLimitKeyPrefix } from './limits/rate-limits.ts';
export { toUserRead } from './users.ts';
export type { AttemptResult, DeliveryService } from './webhooks/deliveries.ts';
// Webhooks: the worker delivers, the relay fans events out
export { deliveryIdFor, retryDelayMs } from './webhooks/deliveries.ts';
export type { WebhookLogger } from './webhooks/failures.ts';
export type { OutboxBatch, OutboxEventRow } from './webhooks/outbox-batch.ts';
export { claimOutboxBatch } from './webhooks/outbox-batch.ts';
export { deliveryBody, pythonJsonDumps } from './webhooks/payload.ts';
export { WebhookSender } from './webhooks/sender.ts';
export type { Subscriber } from './webhooks/subscribers.ts';
export { receives } from './webhooks/subscribers.ts';
export { isBlockedAddress } from './webhooks/url-guard.ts';
