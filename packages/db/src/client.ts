import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';
import { type QueryObserver, timedAdapterFactory } from './timed-adapter.ts';

/** The pool's counts, as pg keeps them. */
export type PoolStats = { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };

/** What the metrics read of the client: each statement's time, and the pool to count at scrape time. */
export type DatabaseInstruments = { onQuery: QueryObserver; onPool(pool: PoolStats): void };

export type DatabaseOptions = {
  url: string;
  /** Upper bound of pooled connections (DB_POOL_SIZE + DB_MAX_OVERFLOW). */
  maxConnections?: number;
  /** Seconds to wait for a free connection (DB_POOL_TIMEOUT). */
  poolTimeoutSeconds?: number;
  /** Log every query (DEBUG). */
  logQueries?: boolean;
  /** Metrics hooks (the platform's); none: nothing is timed. */
  instruments?: DatabaseInstruments;
};

/** A Prisma client over the pg driver adapter: no query-engine binary is involved. */
export function createPrismaClient(options: DatabaseOptions): PrismaClient {
  // The pool is made here, not by the adapter, so its counts can be read; the adapter ends it on $disconnect.
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 15,
    connectionTimeoutMillis: (options.poolTimeoutSeconds ?? 30) * 1000,
  });
  const factory = new PrismaPg(pool, { disposeExternalPool: true });
  const { instruments } = options;
  instruments?.onPool(pool);
  // Errors are not logged here: callers handle expected ones (not found, unique) and the API
  // logs unexpected ones once, with the request id.
  return new PrismaClient({
    adapter: instruments ? timedAdapterFactory(factory, instruments.onQuery) : factory,
    log: options.logQueries ? ['query', 'warn'] : ['warn'],
    // An interactive transaction waits for a connection as long as a query does (Prisma's own
    // default is 2 s): under load, a write that must be transactional is not dropped any sooner.
    transactionOptions: { maxWait: (options.poolTimeoutSeconds ?? 30) * 1000 },
  });
}

export type Database = PrismaClient;
