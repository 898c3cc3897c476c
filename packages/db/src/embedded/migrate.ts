// Applies the Prisma migration files to an embedded database without the Prisma CLI (which
// would need a second connection and a schema engine), recording them exactly as
// `prisma migrate deploy` does, so the history survives an export into a real PostgreSQL.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { listMigrations, migrationsDir } from '../migrations.ts';

// Prisma's own definition of its history table (schema-engine, PostgreSQL flavour).
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

type HistoryRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null };

/** Prisma's checksum: sha256 (hex) of the migration.sql bytes. */
export function migrationChecksum(sql: Buffer | string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/**
 * Applies every migration folder not yet recorded as finished, oldest first, each in its own
 * transaction together with its `_prisma_migrations` row (so a failure leaves neither behind).
 * Returns the names applied. A row Prisma left unfinished (a failed deploy on a real server
 * before an import) stops it, as `prisma migrate deploy` would (P3009).
 */
export async function applyPendingMigrations(db: PGlite, log: (message: string) => void): Promise<string[]> {
  await db.exec(CREATE_MIGRATIONS_TABLE);
  const history = (await db.query<HistoryRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"'))
    .rows;
  const failed = history.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed)
    throw new Error(`Migration ${failed.migration_name} failed earlier and is not rolled back; resolve it with prisma migrate resolve`);
  const done = new Map(history.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row.checksum]));

  const applied: string[] = [];
  for (const name of listMigrations()) {
    const file = fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'));
    const checksum = migrationChecksum(file);
    const recorded = done.get(name);
    if (recorded !== undefined) {
      if (recorded !== checksum) log(`warning: migration ${name} was modified after it was applied (checksum differs)`);
      continue;
    }
    await db.transaction(async (tx) => {
      const id = randomUUID();
      await tx.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, clock_timestamp())`, [
        id,
        checksum,
        name,
      ]);
      await tx.exec(file.toString('utf8'));
      await tx.query(`UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`, [id]);
    });
    log(`applied migration ${name}`);
    applied.push(name);
  }
  return applied;
}
