import type { Settings } from '@personal-automations/config';
import type { Database } from '@personal-automations/db';
import { Agent } from './agent/agent.ts';
import { ApprovalStep, approvalTools } from './agent/approval-step.ts';
import type { AgentApprovals } from './agent/approvals.ts';
import { OpenAIChatModel } from './agent/model.ts';
import { AgentService, type AgentServiceDeps } from './agent/service.ts';
import type { AgentSocketSlots } from './agent/socket-slots.ts';
import { defaultTools, ToolRegistry } from './agent/tools.ts';
import type { TurnLog } from './agent/turn-log.ts';
import { AuthService } from './auth/auth.ts';
import { LoginCache } from './auth/login-cache.ts';
import { createLucia } from './auth/lucia.ts';
import { GoogleOAuthService } from './auth/oauth.ts';
import { HashingGate, PasswordHasher } from './auth/passwords.ts';
import type { RevocationBus } from './auth/revocations.ts';
import { SessionService } from './auth/sessions.ts';
import { TokenService } from './auth/tokens.ts';
import { ConversationService } from './conversations.ts';
import { DatabaseOutage } from './database-outage.ts';
import { HealthService, type ReadinessCheck } from './health.ts';
import { ItemService } from './items.ts';
import type { JobBackend } from './jobs/backend.ts';
import { MaintenanceService } from './jobs/maintenance.ts';
import type { TaskData, TaskResult } from './jobs/payloads.ts';
import { QUEUE_NAMES } from './jobs/queue-names.ts';
import { TaskQueue } from './jobs/tasks.ts';
import type { RateLimits } from './limits/rate-limits.ts';
import { UsageService } from './usage.ts';
import { UserService } from './users.ts';
import { DeliveryService } from './webhooks/deliveries.ts';
import { HostResolver } from './webhooks/resolver.ts';
import { WebhookSender } from './webhooks/sender.ts';
import { WebhookService } from './webhooks/service.ts';
import { UrlGuard } from './webhooks/url-guard.ts';

export type ServiceDeps = {
  db: Database;
  /** BullMQ on Redis, or the jobs table: whichever the process's platform chose. */
  jobs: JobBackend;
  /** What readiness checks (the database, Redis or its stand-ins). */
  readinessChecks: ReadinessCheck[];
  settings: Settings;
  /** The shared budgets (Redis or this process's memory). */
  rateLimits: RateLimits;
  /** How revoked sessions are announced to every API process. */
  revocations: RevocationBus;
  /** The per-user count of open agent sockets (Redis or this process's memory). */
  agentSocketSlots: AgentSocketSlots;
  /** The agent turns' events, kept for `resume_stream` (Redis or this process's memory). */
  agentTurnLog: TurnLog;
  /** The tool approvals waiting for their user (Redis or this process's memory). */
  agentApprovals: AgentApprovals;
};

/** One instance of every service, sharing the process's database client and job backend. */
export function createServices(deps: ServiceDeps) {
  const { db, jobs, readinessChecks, settings, rateLimits, revocations, agentSocketSlots, agentTurnLog, agentApprovals } = deps;
  const tokens = new TokenService({
    secretKey: settings.SECRET_KEY,
    accessTokenMinutes: settings.ACCESS_TOKEN_EXPIRE_MINUTES,
    refreshTokenMinutes: settings.REFRESH_TOKEN_EXPIRE_MINUTES,
    verifiedCacheSize: settings.AUTH_CACHE_TTL_SECONDS > 0 ? settings.AUTH_CACHE_SIZE : 0,
  });
  const logins = new LoginCache({ news: revocations, maxEntries: settings.AUTH_CACHE_SIZE, ttlMs: settings.AUTH_CACHE_TTL_SECONDS * 1000 });
  const sessions = new SessionService(db, createLucia(db, settings.REFRESH_TOKEN_EXPIRE_MINUTES), tokens, revocations, logins);
  const passwords = new PasswordHasher(
    new HashingGate({
      concurrency: settings.PASSWORD_HASH_CONCURRENCY,
      queueTimeoutMs: settings.PASSWORD_HASH_QUEUE_TIMEOUT_SECONDS * 1000,
    }),
  );
  const users = new UserService(db, { passwords, sessions, linkExistingAccounts: settings.OAUTH_LINK_EXISTING_ACCOUNTS });
  const conversations = new ConversationService(db, { detailMaxMessages: settings.CONVERSATION_DETAIL_MAX_MESSAGES });
  const usage = new UsageService(db, { dailyTokenQuota: settings.AGENT_DAILY_TOKEN_QUOTA });
  // One guard for the save-time check and every delivery; none when private URLs are allowed.
  const urlGuard = settings.webhookAllowPrivateUrls
    ? null
    : new UrlGuard(new HostResolver({ timeoutMs: settings.WEBHOOK_DNS_TIMEOUT_SECONDS * 1000, servers: settings.WEBHOOK_DNS_SERVERS }));
  const webhookSender = new WebhookSender({
    guard: urlGuard,
    timeoutMs: settings.WEBHOOK_TIMEOUT_SECONDS * 1000,
    userAgent: `${settings.PROJECT_NAME}-webhooks/1.0`,
  });
  return {
    rateLimits,
    revocations,
    tokens,
    users,
    sessions,
    auth: new AuthService(users, sessions, rateLimits),
    googleOAuth: new GoogleOAuthService(users, sessions, settings),
    items: new ItemService(db),
    conversations,
    usage,
    agent: createAgentService({
      settings,
      conversations,
      sessions,
      revocations,
      rateLimits,
      usage,
      socketSlots: agentSocketSlots,
      turnLog: agentTurnLog,
      approvals: agentApprovals,
    }),
    /** The user's decisions on a paused turn's tool calls (the socket's `resume` frame). */
    agentApprovals,
    webhooks: new WebhookService(db, webhookSender, { guard: urlGuard }),
    deliveries: new DeliveryService(db, webhookSender, { maxInFlightPerEndpoint: settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT }),
    tasks: new TaskQueue(jobs.queue<TaskData, TaskResult>(QUEUE_NAMES.tasks)),
    maintenance: new MaintenanceService(db, sessions),
    databaseOutage: new DatabaseOutage({ probe: () => db.$queryRaw`SELECT 1` }),
    health: new HealthService({
      checks: readinessChecks,
      serviceName: settings.PROJECT_NAME,
      environment: settings.ENVIRONMENT,
      version: '1.0.0',
    }),
  };
}
export type Services = ReturnType<typeof createServices>;

type AgentServiceParts = Pick<
  AgentServiceDeps,
  'conversations' | 'sessions' | 'revocations' | 'rateLimits' | 'socketSlots' | 'turnLog' | 'approvals'
> & {
  settings: Settings;
  usage: UsageService;
};

/** The agent and the bounds on what one socket may spend, from the AGENT_* settings. */
function createAgentService({ settings, usage, ...parts }: AgentServiceParts): AgentService {
  const tools = new ToolRegistry(defaultTools());
  const agent = new Agent({
    model: new OpenAIChatModel(settings),
    tools,
    maxModelRequests: settings.AGENT_MAX_MODEL_REQUESTS,
    usage,
    approval: new ApprovalStep(parts.approvals, approvalTools(settings.AGENT_APPROVAL_TOOLS, tools.names())),
  });
  const limits = {
    history: { maxMessages: settings.AGENT_MAX_HISTORY_MESSAGES, maxChars: settings.AGENT_MAX_HISTORY_CHARS },
    idleTimeoutMs: settings.AGENT_IDLE_TIMEOUT_SECONDS * 1000,
    continueOnDisconnect: settings.AGENT_CONTINUE_ON_DISCONNECT,
    maxBufferedBytes: settings.AGENT_MAX_BUFFERED_BYTES,
  };
  return new AgentService({ ...parts, agent, usage, limits });
}
