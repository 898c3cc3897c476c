// The Prisma CLI runs here only through the WASM schema-engine wrapper (engine/). These tests
// run the real CLI commands through it, so a Prisma upgrade that breaks the wrapper fails CI.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedMigrations, listMigrations, migrateDeploy, migrateDown, runPrisma, schemaPath } from '../src/migrations.ts';
import { createTestDatabase } from './databases.ts';

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    return r.rows.map((row) => row.tablename);
  } finally {
    await client.end();
  }
}

const CONTRACT_TABLES = ['conversations', 'items', 'messages', 'sessions', 'tool_calls', 'users', 'webhook_deliveries', 'webhooks'];

describe('migrations through the WASM schema engine', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('the template database is fully migrated: migrate status reports it up to date', async () => {
    const status = await runPrisma(['migrate', 'status'], db.url);
    expect(status.stdout).toContain('Database schema is up to date');
    expect(status.code).toBe(0);
    expect(await appliedMigrations(db.url)).toEqual(listMigrations());
  });

  it('creates every table of the contract plus the outbox', async () => {
    expect(await tables(db.url)).toEqual(expect.arrayContaining([...CONTRACT_TABLES, 'outbox_events', '_prisma_migrations']));
  });

  it('migrations and schema.prisma agree (migrate diff from migrations to schema is empty)', async () => {
    const diff = await runPrisma(
      ['migrate', 'diff', '--from-migrations', '../../prisma/migrations', '--to-schema', schemaPath, '--exit-code'],
      db.url,
    );
    // --exit-code: 0 = no difference, 2 = differences found
    expect(diff.stdout + diff.stderr).not.toMatch(/CREATE|ALTER|DROP/);
    expect(diff.code).toBe(0);
  });

  it('migrate diff prints the SQL between the database and an empty schema', async () => {
    const diff = await runPrisma(['migrate', 'diff', '--from-config-datasource', '--to-empty', '--script'], db.url);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('DROP TABLE "public"."items"');
  });

  it('down.sql undoes each migration and deploy re-applies it', async () => {
    const names = listMigrations();
    for (const _ of names) await migrateDown(db.url);
    expect(await appliedMigrations(db.url)).toEqual([]);
    expect(await tables(db.url)).toEqual(['_prisma_migrations']);

    const pending = await runPrisma(['migrate', 'status'], db.url);
    expect(pending.code).not.toBe(0);
    expect(pending.stdout).toContain('have not yet been applied');

    await migrateDeploy(db.url);
    expect(await appliedMigrations(db.url)).toEqual(names);
    expect(await tables(db.url)).toEqual(expect.arrayContaining(CONTRACT_TABLES));
  });

  it('reports a database that does not exist with P1003, also from migrate diff', async () => {
    const missing = db.url.replace(/\/[^/]+$/, '/pa_no_such_database');
    const diff = await runPrisma(['migrate', 'diff', '--from-config-datasource', '--to-empty', '--script'], missing);
    expect(diff.code).not.toBe(0);
    expect(diff.stdout + diff.stderr).toMatch(/P1003|does not exist/);
  });

  it('reports an unreachable database as a failure, not a hang', async () => {
    const result = await runPrisma(['migrate', 'status'], 'postgresql://postgres@127.0.0.1:1/nothing');
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Can't reach database server|P1001/);
  });
});
