// Embedded PostgreSQL (PGlite): a database with no server to install. See open.ts.

export { exportEmbeddedDatabase } from './export.ts';
export { EmbeddedDatabaseInUseError, LOCK_FILE_NAME } from './lock.ts';
export type { EmbeddedDatabase, EmbeddedDatabaseOptions } from './open.ts';
export { openEmbeddedDatabase } from './open.ts';
