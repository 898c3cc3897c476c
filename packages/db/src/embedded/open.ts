// An embedded PostgreSQL (PGlite, PostgreSQL compiled to WASM, in this process) served on
// 127.0.0.1 over the wire protocol, so the rest of the code keeps using a postgresql:// URL.
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireDataDirLock } from './lock.ts';
import { applyPendingMigrations } from './migrate.ts';

export type EmbeddedDatabaseOptions = {
  /** PGlite's data directory (PGDATA); created, and initdb run, on first use. */
  dataDir: string;
  /** Receives progress lines (migrations applied, listening address). */
  log?: (message: string) => void;
};

export type EmbeddedDatabase = {
  /**
   * postgresql:// URL of the socket server. Every connection to it shares ONE backend session
   * (PGlite is single-session): use a pool of exactly 1 (`createPrismaClient({ url, maxConnections: 1 })`).
   */
  url: string;
  /** Absolute path of the data directory. */
  dataDir: string;
  /** Names of the migrations this open applied (empty when the database was up to date). */
  appliedMigrations: string[];
  /** Stops the server, closes PGlite (data dir consistent) and removes the lock. Idempotent. */
  close(): Promise<void>;
};

/**
 * Socket connections accepted at once. The pool is 1, but a pool replacing a broken connection
 * may connect before the server has seen the old one close: a little headroom avoids a refusal.
 */
const SOCKET_MAX_CONNECTIONS = 4;

/**
 * Opens (creating if needed) the embedded database in `dataDir`, applies pending migrations and
 * serves it on 127.0.0.1 on a random port. Throws EmbeddedDatabaseInUseError when another
 * process (or this one) has it open. Close Prisma clients before `close()`.
 */
export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const releaseLock = acquireDataDirLock(dataDir);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    // Loaded here, not at import: a process on PostgreSQL never pays for the WASM build.
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
    db = await PGlite.create({ dataDir });
    const appliedMigrations = await applyPendingMigrations(db, log);
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: SOCKET_MAX_CONNECTIONS });
    await server.start();
    const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
    log(`embedded PostgreSQL (${dataDir}) listening on ${server.getServerConn()}`);
    return { url, dataDir, appliedMigrations, close: once(() => shutDown(db, server, releaseLock)) };
  } catch (error) {
    await shutDown(db, server, releaseLock).catch(() => {});
    throw error;
  }
}

async function shutDown(db: PGlite | undefined, server: PGLiteSocketServer | undefined, releaseLock: () => void): Promise<void> {
  try {
    await server?.stop();
    if (db && !db.closed) await db.close();
  } finally {
    releaseLock();
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}
