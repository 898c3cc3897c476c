// What the metrics read of a platform's parts at scrape time: the database pool's connections,
// readiness by dependency and the Redis connections. Nothing here runs on the request path but
// the query timer.
import type { Redis } from 'ioredis';
import type { DatabaseInstruments, PoolStats } from '@personal-automations/db';
import { dbPoolConnections, dependencyUp, redisConnectionUp } from '@personal-automations/observability';
import type { Services } from '@personal-automations/services';

type QueryHistogram = { observe(labels: { operation: string }, seconds: number): void };

/** The database client's hooks: each statement into `histogram`, the pool read at scrape time (`keep` gets the remover). */
export function poolInstruments(histogram: QueryHistogram, keep: (stop: () => void) => void): DatabaseInstruments {
  return {
    onQuery: (seconds, operation) => histogram.observe({ operation }, seconds),
    onPool: (pool: PoolStats) =>
      keep(
        dbPoolConnections.add((gauge) => {
          gauge.inc({ state: 'in_use' }, pool.totalCount - pool.idleCount);
          gauge.inc({ state: 'idle' }, pool.idleCount);
          gauge.inc({ state: 'waiting' }, pool.waitingCount);
        }),
      ),
  };
}

export type ObservedParts = { health: Services['health']; redis: Record<string, Redis | undefined> };

/** Readiness's checks and the Redis connections as gauges; returns the removers. */
export function observeParts({ health, redis }: ObservedParts): (() => void)[] {
  const stops = [
    // The same checks as /health/ready (3 s at most each): a dependency that is down reads 0.
    dependencyUp.add(async (gauge) => {
      const { checks } = await health.ready();
      for (const [dependency, check] of Object.entries(checks)) gauge.set({ dependency }, check.status === 'healthy' ? 1 : 0);
    }),
  ];
  const clients = Object.entries(redis).filter((entry): entry is [string, Redis] => entry[1] !== undefined);
  if (clients.length)
    stops.push(
      redisConnectionUp.add((gauge) => {
        for (const [client, connection] of clients) gauge.inc({ client }, connection.status === 'ready' ? 1 : 0);
      }),
    );
  return stops;
}
