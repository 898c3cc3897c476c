// The `db` commands' work, on top of @personal-automations/db/migrations (the Prisma CLI through
// the WASM schema engine, and the down.sql files Prisma itself does not have).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PrismaResult } from '@personal-automations/db/migrations';
import { CliError, debugEnabled } from './errors.ts';

const loadMigrations = () => import('@personal-automations/db/migrations');

/** The db package's Prisma config: every run uses it, only the migrations folder may be swapped. */
const prismaConfigPath = () =>
  path.resolve(path.dirname(fileURLToPath(import.meta.resolve('@personal-automations/db/migrations'))), '..', 'prisma.config.ts');

/** The exact name, or the only name that starts with `revision` (e.g. its timestamp). */
export function resolveRevision(names: string[], revision: string): string {
  if (names.includes(revision)) return revision;
  const matches = names.filter((n) => n.startsWith(revision));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new CliError(`Error: ambiguous revision "${revision}": ${matches.join(', ')}`);
  throw new CliError(`Error: unknown revision "${revision}"`);
}

/** One line out of a failed Prisma CLI run: its error block (the whole output with DEBUG). */
function prismaFailure(what: string, result: PrismaResult): CliError {
  const output = `${result.stdout}\n${result.stderr}`;
  if (debugEnabled()) return new CliError(`Error: ${what} failed:\n${output.trim()}`);
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const start = Math.max(
    0,
    lines.findIndex((l) => /^Error\b/.test(l)),
  );
  return new CliError(`Error: ${what} failed: ${lines.slice(start, start + 6).join(' ') || `exit code ${result.code}`}`);
}

export type MigrationState = { all: string[]; applied: string[]; pending: string[]; current: string | null; head: string | null };

/** Local migrations and those recorded in the database (connecting fails with a clear error). */
export async function migrationState(url: string): Promise<MigrationState> {
  const m = await loadMigrations();
  const applied = await m.appliedMigrations(url);
  const all = m.listMigrations();
  return { all, applied, pending: all.filter((n) => !applied.includes(n)), current: applied.at(-1) ?? null, head: all.at(-1) ?? null };
}

/** Applies pending migrations up to `revision` ("head" = all). Returns the names applied. */
export async function upgrade(url: string, revision = 'head'): Promise<string[]> {
  const m = await loadMigrations();
  const before = await migrationState(url);
  const target = revision === 'head' ? null : resolveRevision(before.all, revision);
  const wanted = target ? before.all.slice(0, before.all.indexOf(target) + 1) : before.all;
  if (wanted.every((name) => before.applied.includes(name))) return [];
  const args = ['migrate', 'deploy'];
  let tempDir: string | undefined;
  if (target) {
    // `migrate deploy` has no target: give it a migrations folder that ends at the target
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-upgrade-'));
    const dir = path.join(tempDir, 'migrations');
    for (const name of wanted) {
      fs.cpSync(path.join(m.migrationsDir, name), path.join(dir, name), { recursive: true });
    }
    const lock = path.join(m.migrationsDir, 'migration_lock.toml');
    if (fs.existsSync(lock)) fs.copyFileSync(lock, path.join(dir, 'migration_lock.toml'));
    const config = path.join(tempDir, 'prisma.config.mjs');
    fs.writeFileSync(
      config,
      `import base from ${JSON.stringify(pathToFileURL(prismaConfigPath()).href)};\n` +
        `export default { ...base, migrations: { ...base.migrations, path: ${JSON.stringify(dir)} } };\n`,
    );
    args.push('--config', config);
  }
  try {
    const result = await m.runPrisma(args, url);
    if (result.code !== 0) throw prismaFailure('prisma migrate deploy', result);
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
  const after = await m.appliedMigrations(url);
  return after.filter((n) => !before.applied.includes(n));
}

/**
 * Undoes applied migrations, newest first: `-N` undoes N of them, "base" all of them, a
 * revision name those applied after it. Returns the names undone.
 */
export async function downgrade(url: string, revision = '-1'): Promise<string[]> {
  const m = await loadMigrations();
  const { applied } = await migrationState(url);
  let steps: number;
  if (/^-\d+$/.test(revision)) steps = -Number(revision);
  else if (revision === 'base') steps = applied.length;
  else steps = applied.length - 1 - applied.indexOf(resolveRevision(applied, revision));
  if (steps > applied.length) {
    throw new CliError(`Error: cannot undo ${steps} migration(s): ${applied.length} applied`);
  }
  const undone: string[] = [];
  for (let i = 0; i < steps; i++) {
    const name = await m.migrateDown(url);
    if (name) undone.push(name);
  }
  return undone;
}

/** The UTC time as YYYYMMDDHHMMSS, later than `after` (a folder name) whatever the clock says. */
function nextTimestamp(after: string | undefined, now = new Date()): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const last = after?.slice(0, 14);
  return last && /^\d{14}$/.test(last) && stamp <= last ? String(BigInt(last) + 1n) : stamp;
}

const slugOf = (message: string) =>
  message
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);

const hasStatements = (sql: string) =>
  sql
    .split('\n')
    .map((l) => l.trim())
    .some((l) => l && !l.startsWith('--'));

export type NewMigration = { name: string; dir: string; upSql: string; downSql: string };

/**
 * A new migration folder with migration.sql (migrations → schema) and down.sql (schema →
 * migrations), or null when the schema has no changes. The schema engine replays the
 * migrations in a temporary shadow database on `url`'s server.
 */
export async function createMigration(
  url: string,
  message: string,
  paths: { schema?: string | undefined; migrationsDir?: string | undefined } = {},
): Promise<NewMigration | null> {
  const m = await loadMigrations();
  const schema = path.resolve(paths.schema ?? m.schemaPath);
  const migrationsDir = path.resolve(paths.migrationsDir ?? m.migrationsDir);
  const slug = slugOf(message);
  if (!slug) throw new CliError('Error: the message needs at least one letter or digit');
  if (!fs.existsSync(schema)) throw new CliError(`Error: no schema at ${schema}`);
  if (!fs.existsSync(migrationsDir)) throw new CliError(`Error: no migrations folder at ${migrationsDir}`);
  await m.appliedMigrations(url); // the server must be reachable: an unreachable one gives an empty diff
  const diff = async (args: string[]) => {
    const result = await m.runPrisma(['migrate', 'diff', ...args, '--script'], url);
    if (result.code !== 0) throw prismaFailure('prisma migrate diff', result);
    return result.stdout;
  };
  const upSql = await diff(['--from-migrations', migrationsDir, '--to-schema', schema]);
  if (!hasStatements(upSql)) return null;
  const downSql = await diff(['--from-schema', schema, '--to-migrations', migrationsDir]);
  const existing = fs
    .readdirSync(migrationsDir)
    .filter((n) => /^\d{14}_/.test(n))
    .sort();
  const name = `${nextTimestamp(existing.at(-1))}_${slug}`;
  const dir = path.join(migrationsDir, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'migration.sql'), upSql);
  fs.writeFileSync(path.join(dir, 'down.sql'), downSql);
  return { name, dir, upSql, downSql };
}
