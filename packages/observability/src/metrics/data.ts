// The database and Redis: the pool's connections, how long statements take, whether each
// dependency answers readiness's check, and the state of the Redis connections.
import { Histogram } from 'prom-client';
import { registry, sourcedGauge } from './registry.ts';

const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const dbPoolConnections = sourcedGauge<'state'>({
  name: 'pa_db_pool_connections',
  help: 'Connections of the database pool by state: in_use, idle, and waiting (callers queued for a connection)',
  labelNames: ['state'],
});

export const dbQueryDuration = new Histogram<'operation'>({
  name: 'pa_db_query_duration_seconds',
  help: 'Time of one SQL statement through the Prisma driver adapter, by operation (query: rows read, execute: rows changed)',
  labelNames: ['operation'],
  buckets: QUERY_BUCKETS,
  registers: [registry],
});

export const dependencyUp = sourcedGauge<'dependency'>({
  name: 'pa_dependency_up',
  help: "1 when readiness's check of the dependency (database, redis, job_queue, rate_limit) passes at scrape time, else 0",
  labelNames: ['dependency'],
});

export const redisConnectionUp = sourcedGauge<'client'>({
  name: 'pa_redis_connection_up',
  help: 'Connections to Redis that are ready to take commands, by client (readiness, fast: rate limits, socket slots and revocation news)',
  labelNames: ['client'],
});
