// The one place that decides, from the settings, which parts a process runs on: PostgreSQL or the
// embedded PGlite database, and Redis or its stand-ins (jobs in a database table, rate limits in
// memory). Everything else takes the parts it is handed and never asks which mode is on.
import { Redis } from 'ioredis';
import type { Settings } from '@personal-automations/config';
import { createPrismaClient, type Database, openEmbeddedDatabase, type Prisma } from '@personal-automations/db';
import { dbQueryDuration } from '@personal-automations/observability';
import {
  agentApprovalPrefix,
  agentSocketKeyPrefix,
  agentTurnKeyPrefix,
  BullmqJobBackend,
  budgetsFrom,
  createServices,
  DatabaseJobBackend,
  firstConnection,
  type JobBackend,
  LocalRevocationBus,
  openAgentSocketSlots,
  openApprovals,
  openTurnLog,
  queueLocation,
  RateLimits,
  type ReadinessCheck,
  RedisRevocationBus,
  type RevocationBus,
  rateLimitKeyPrefix,
  type Services,
} from '@personal-automations/services';
import { observeParts, poolInstruments } from './metrics.ts';

export type PlatformParts = {
  database: 'postgresql' | 'pglite';
  jobs: 'redis' | 'postgresql';
  rateLimit: 'redis' | 'memory';
};

export type Platform = {
  settings: Settings;
  db: Database;
  /** Its queues may join a transaction of `db` (the jobs table can; BullMQ refuses). */
  jobs: JobBackend<Prisma.TransactionClient>;
  services: Services;
  parts: PlatformParts;
  /**
   * The embedded database serves only the process that opened it, so that process (the API)
   * runs the worker and the scheduler too.
   */
  runsJobsInProcess: boolean;
  /** A line for the start log saying which parts are on, loudly when they are embedded. */
  describe(): { level: 'info' | 'warn'; message: string };
  close(): Promise<void>;
};

const FAST_COMMAND_TIMEOUT_MS = 1000;
const FIRST_CONNECTION_WAIT_MS = 2000;

function readinessRedis(url: string): Redis {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  // Connection errors surface through the commands (readiness reports them); ioredis reconnects.
  redis.on('error', () => {});
  return redis;
}

function fastFailingRedis(url: string): Redis {
  // Auto-pipelining: the budget draws of requests arriving together go out in one write.
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: FAST_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    enableAutoPipelining: true,
  });
  client.on('error', () => {}); // outages are skipped; readiness reports them
  return client;
}

/** A subscriber waits out outages: ioredis reconnects and subscribes again. */
function subscriberRedis(url: string): Redis {
  const client = new Redis(url, { connectTimeout: 2000, maxRetriesPerRequest: null });
  client.on('error', () => {});
  return client;
}

function describeParts(parts: PlatformParts, settings: Settings): ReturnType<Platform['describe']> {
  if (settings.database.kind === 'pglite') {
    const others = parts.jobs === 'redis' ? 'jobs and rate limits on Redis' : 'jobs in its jobs table, rate limits in memory';
    return {
      level: 'warn',
      message:
        `EMBEDDED MODE: PGlite database in ${settings.database.dataDir}, ${others}. ` +
        'For one machine and ONE process only; set DATABASE_URL and REDIS_URL to run on PostgreSQL and Redis.',
    };
  }
  if (parts.jobs === 'postgresql') {
    return {
      level: 'warn',
      message:
        'No Redis configured: jobs run from the PostgreSQL jobs table and rate limits are counted per process, in memory. Set REDIS_URL for shared limits.',
    };
  }
  return { level: 'info', message: 'Running on PostgreSQL and Redis' };
}

/** Opens the process's parts. `close()` releases them all (the embedded database last). */
export async function openPlatform(settings: Settings): Promise<Platform> {
  const embedded = settings.database.kind === 'pglite' ? await openEmbeddedDatabase({ dataDir: settings.database.dataDir }) : undefined;
  // The metrics readers of this platform's parts, removed when it closes.
  const stops: (() => void)[] = [];
  const db = createPrismaClient({
    url: embedded?.url ?? settings.databaseUrl,
    // Every connection to the embedded server shares one session, so one connection serialises them.
    maxConnections: embedded ? 1 : settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW,
    poolTimeoutSeconds: settings.DB_POOL_TIMEOUT,
    logQueries: settings.DEBUG,
    ...(settings.METRICS_ENABLED && { instruments: poolInstruments(dbQueryDuration, (stop) => stops.push(stop)) }),
  });
  const redis = settings.redisEnabled ? readinessRedis(settings.redisUrl) : undefined;
  const jobs: JobBackend<Prisma.TransactionClient> = settings.redisEnabled
    ? new BullmqJobBackend({ ...queueLocation(settings), leaseMs: settings.JOB_LEASE_SECONDS * 1000 })
    : new DatabaseJobBackend(db, { pollIntervalMs: settings.JOB_POLL_INTERVAL_MS, leaseMs: settings.JOB_LEASE_SECONDS * 1000 });
  const parts: PlatformParts = { database: settings.database.kind, jobs: jobs.kind, rateLimit: redis ? 'redis' : 'memory' };

  const checks: ReadinessCheck[] = [{ name: 'database', type: parts.database, run: () => db.$queryRaw`SELECT 1` }];
  if (redis) {
    checks.push({
      name: 'redis',
      run: async () => {
        if ((await redis.ping()) !== 'PONG') throw new Error('Ping failed');
      },
    });
  } else {
    checks.push(
      { name: 'job_queue', type: 'postgresql', run: () => db.$queryRaw`SELECT 1 FROM jobs LIMIT 1` },
      // In memory: nothing to reach, reported so the embedded stand-in is named.
      { name: 'rate_limit', type: 'memory', run: async () => {} },
    );
  }
  // Rate-limit counters, agent socket counts and revocation news: commands that fail at once while Redis is down
  // (no offline queue, short timeout), so an outage never holds a request up.
  const fastRedis = redis ? fastFailingRedis(settings.redisUrl) : undefined;
  if (fastRedis) await firstConnection(fastRedis, FIRST_CONNECTION_WAIT_MS);
  const rateLimits = new RateLimits({
    redis: fastRedis,
    prefix: rateLimitKeyPrefix(settings),
    budgets: budgetsFrom(settings),
    enabled: settings.RATE_LIMIT_ENABLED,
  });
  const revocations: RevocationBus = fastRedis
    ? new RedisRevocationBus({
        publisher: fastRedis,
        openSubscriber: () => subscriberRedis(settings.redisUrl),
        channel: `${settings.PROJECT_NAME}:session-revocations`,
      })
    : new LocalRevocationBus();
  const agentSocketSlots = openAgentSocketSlots({
    redis: fastRedis,
    prefix: agentSocketKeyPrefix(settings.PROJECT_NAME),
    maxPerUser: settings.AGENT_MAX_SOCKETS_PER_USER,
  });
  const agentTurnLog = openTurnLog({
    redis: fastRedis,
    openReader: () => subscriberRedis(settings.redisUrl),
    prefix: agentTurnKeyPrefix(settings.PROJECT_NAME),
    ttlMs: settings.AGENT_RESUME_TTL_SECONDS * 1000,
    maxMemoryTurns: settings.AGENT_RESUME_MAX_TURNS,
  });
  const agentApprovals = openApprovals({
    redis: fastRedis,
    openSubscriber: () => subscriberRedis(settings.redisUrl),
    prefix: agentApprovalPrefix(settings.PROJECT_NAME),
    timeoutMs: settings.AGENT_APPROVAL_TIMEOUT_SECONDS * 1000,
  });
  const services = createServices({
    db,
    jobs,
    readinessChecks: checks,
    settings,
    rateLimits,
    revocations,
    agentSocketSlots,
    agentTurnLog,
    agentApprovals,
  });
  if (settings.METRICS_ENABLED) stops.push(...observeParts({ health: services.health, redis: { readiness: redis, fast: fastRedis } }));

  return {
    settings,
    db,
    jobs,
    services,
    parts,
    runsJobsInProcess: embedded !== undefined,
    describe: () => describeParts(parts, settings),
    async close() {
      for (const stop of stops) stop();
      // disconnect, not quit: quit waits for a reply that a hung Redis never sends
      redis?.disconnect();
      services.databaseOutage.close();
      await revocations.close();
      await agentApprovals.close();
      fastRedis?.disconnect();
      await jobs.close();
      await db.$disconnect();
      await embedded?.close();
    },
  };
}

/**
 * A postgresql:// URL for tools that speak the protocol (migrations, the CLI's `db` commands):
 * the server's, or the embedded database's, opened (and migrated) for as long as the caller holds it.
 */
export async function openDatabaseUrl(settings: Settings): Promise<{ url: string; close(): Promise<void> }> {
  if (settings.database.kind === 'postgresql') return { url: settings.database.url, close: async () => {} };
  const embedded = await openEmbeddedDatabase({ dataDir: settings.database.dataDir });
  return { url: embedded.url, close: () => embedded.close() };
}
