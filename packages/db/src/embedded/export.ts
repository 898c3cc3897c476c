// Moves an embedded database to a real PostgreSQL: pg_dump (compiled to WASM, pglite-tools) of
// schema + data + the `_prisma_migrations` history, as plain SQL that psql or one node-pg
// multi-statement query loads. INSERTs rather than COPY … FROM stdin, which only psql can feed.
import fs from 'node:fs';
import path from 'node:path';
import { acquireDataDirLock } from './lock.ts';

const PG_DUMP_ARGS = ['--no-owner', '--no-privileges', '--column-inserts', '--rows-per-insert=100'];

/**
 * Lines a target older than the dump's PostgreSQL (18) or a non-psql loader would reject:
 * `SET transaction_timeout` exists from PostgreSQL 17 on (and only restates the default), and
 * newer pg_dump builds wrap the script in psql-only `\restrict` / `\unrestrict` meta-commands.
 */
const UNPORTABLE_LINE = /^(SET transaction_timeout = 0;|\\(un)?restrict\b.*)$/;

/** Makes pg_dump's script loadable by PostgreSQL 13+ through psql or node-pg alike. */
export function portableDump(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !UNPORTABLE_LINE.test(line))
    .join('\n');
}

/**
 * Dumps the CLOSED embedded database in `dataDir` as plain SQL for a fresh, empty real
 * database: every table with its rows, sequences, indexes, constraints and the migration history,
 * no owners or grants. Takes the data dir's lock while it runs, so it throws
 * EmbeddedDatabaseInUseError while a process has the database open: close it first (dumping
 * through the shared session of a live socket server would disturb its clients).
 */
export async function exportEmbeddedDatabase(dataDir: string): Promise<string> {
  const dir = path.resolve(dataDir);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) throw new Error(`${dir} holds no embedded database (no PG_VERSION)`);
  const releaseLock = acquireDataDirLock(dir);
  try {
    // Loaded on use: pg_dump's WASM build is for this command only.
    const [{ PGlite }, { pgDump }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-tools/pg_dump')]);
    const db = await PGlite.create({ dataDir: dir });
    try {
      const file = await pgDump({ pg: db, args: PG_DUMP_ARGS });
      return portableDump(await file.text());
    } finally {
      await db.close();
    }
  } finally {
    releaseLock();
  }
}
