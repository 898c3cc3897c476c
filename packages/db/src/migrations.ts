// Runs the Prisma CLI (through the WASM schema-engine wrapper set up in prisma.config.ts) and
// the down migrations that Prisma itself does not have.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const migrationsDir = path.resolve(packageDir, '..', '..', 'prisma', 'migrations');
export const schemaPath = path.resolve(packageDir, '..', '..', 'prisma', 'schema.prisma');

export type PrismaResult = { code: number; stdout: string; stderr: string };

/** Runs `prisma <args>` against `databaseUrl`, from the db package (where prisma.config.ts lives). */
export function runPrisma(args: string[], databaseUrl: string): Promise<PrismaResult> {
  const prismaBin = path.join(packageDir, 'node_modules', 'prisma', 'build', 'index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaBin, ...args], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `prisma migrate deploy`; throws with the CLI's output when it fails. */
export async function migrateDeploy(databaseUrl: string): Promise<PrismaResult> {
  const result = await runPrisma(['migrate', 'deploy'], databaseUrl);
  if (result.code !== 0) throw new Error(`prisma migrate deploy failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Migration folder names, oldest first. */
export function listMigrations(): string[] {
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}

/** Names of the migrations recorded as applied in `_prisma_migrations`, oldest first. */
export async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query(`SELECT to_regclass('_prisma_migrations') AS t`);
    if (!table.rows[0]?.t) return [];
    const rows = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
    );
    return rows.rows.map((r) => r.migration_name);
  } finally {
    await client.end();
  }
}

/**
 * Undoes the newest applied migration: runs its down.sql and deletes its `_prisma_migrations`
 * row, in one transaction. Returns the migration's name, or null when nothing is applied.
 */
export async function migrateDown(databaseUrl: string): Promise<string | null> {
  const applied = await appliedMigrations(databaseUrl);
  const last = applied.at(-1);
  if (!last) return null;
  const downFile = path.join(migrationsDir, last, 'down.sql');
  if (!fs.existsSync(downFile)) throw new Error(`Migration ${last} has no down.sql`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(fs.readFileSync(downFile, 'utf8'));
    await client.query('DELETE FROM _prisma_migrations WHERE migration_name = $1', [last]);
    await client.query('COMMIT');
    return last;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    await client.end();
  }
}
