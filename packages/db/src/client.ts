import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type DatabaseOptions = {
  url: string;
  /** Upper bound of pooled connections (DB_POOL_SIZE + DB_MAX_OVERFLOW). */
  maxConnections?: number;
  /** Seconds to wait for a free connection (DB_POOL_TIMEOUT). */
  poolTimeoutSeconds?: number;
  /** Log every query (DEBUG). */
  logQueries?: boolean;
};

/** A Prisma client over the pg driver adapter: no query-engine binary is involved. */
export function createPrismaClient(options: DatabaseOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.url,
    max: options.maxConnections ?? 15,
    connectionTimeoutMillis: (options.poolTimeoutSeconds ?? 30) * 1000,
  });
  // Errors are not logged here: callers handle expected ones (not found, unique) and the API
  // logs unexpected ones once, with the request id.
  return new PrismaClient({
    adapter,
    log: options.logQueries ? ['query', 'warn'] : ['warn'],
    // An interactive transaction waits for a connection as long as a query does (Prisma's own
    // default is 2 s): under load, a write that must be transactional is not dropped any sooner.
    transactionOptions: { maxWait: (options.poolTimeoutSeconds ?? 30) * 1000 },
  });
}

export type Database = PrismaClient;
