// db current / history / downgrade / upgrade / init / migrate against real databases.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase, withDatabaseName } from '@personal-automations/db';
import { listMigrations, migrationsDir, schemaPath } from '@personal-automations/db/migrations';
import { useTestDatabase } from '@personal-automations/testing';
import { expectOneLine, query, runCli } from './helpers.ts';

const db = useTestDatabase();
const cli = (args: string[], databaseUrl = db.url) => runCli(['db', ...args], { databaseUrl });

const MIGRATIONS = listMigrations();
const HEAD = MIGRATIONS.at(-1)!;
const FIRST = MIGRATIONS[0]!;

const recorded = async (url = db.url) =>
  (await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name')).map(
    (r) => r.migration_name,
  );
/** Every table, column, trigger and index of the public schema: what a migration changes. */
const schemaShape = async (url = db.url) =>
  (
    await query<{ c: string }>(
      url,
      `SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
       UNION SELECT 'trigger ' || event_object_table || '.' || trigger_name FROM information_schema.triggers WHERE trigger_schema = 'public'
       UNION SELECT 'index ' || tablename || '.' || indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
       ORDER BY 1`,
    )
  ).map((r) => r.c);

describe('db current and history', () => {
  it('current names the newest applied migration (head); --json too', async () => {
    const text = await cli(['current']);
    expect(text).toMatchObject({ code: 0, stdout: `${HEAD} (head)\n` });
    expect(JSON.parse((await cli(['current', '--json'])).stdout)).toEqual({ current: HEAD, head: HEAD, pending: [] });
  });

  it('history lists every migration, oldest first, as applied', async () => {
    const entries = JSON.parse((await cli(['history', '--json'])).stdout) as { revision: string; status: string }[];
    expect(entries.map((e) => e.revision)).toEqual(MIGRATIONS);
    expect(entries.every((e) => e.status === 'applied')).toBe(true);
  });
});

describe('db downgrade and upgrade', () => {
  it('downgrade -1 really undoes the newest migration (schema and record); upgrade restores it', async () => {
    const before = await schemaShape();
    const down = await cli(['downgrade', '-1']);
    expect(down).toMatchObject({ code: 0, stdout: `Undid ${HEAD}\n` });
    expect(await recorded()).toEqual(MIGRATIONS.slice(0, -1));
    const after = await schemaShape();
    expect(after).not.toEqual(before);
    // the newest migration's down.sql ran: what it added is gone
    expect(before.filter((c) => !after.includes(c)).length).toBeGreaterThan(0);

    const current = JSON.parse((await cli(['current', '--json'])).stdout);
    expect(current).toMatchObject({ current: MIGRATIONS.at(-2) ?? null, pending: [HEAD] });

    const up = await cli(['upgrade']);
    expect(up).toMatchObject({ code: 0, stdout: `Applied ${HEAD}\n` });
    expect(await recorded()).toEqual(MIGRATIONS);
    expect(await schemaShape()).toEqual(before);
    expect((await cli(['upgrade'])).stdout).toBe('Already up to date.\n');
  });

  it('--revision base undoes everything; upgrade --revision stops at the one named (by prefix)', async () => {
    const down = JSON.parse((await cli(['downgrade', '--revision', 'base', '--json'])).stdout);
    expect(down.undone).toEqual([...MIGRATIONS].reverse());
    expect(await schemaShape()).toEqual([]);

    const first = JSON.parse((await cli(['upgrade', '--revision', FIRST.slice(0, 14), '--json'])).stdout);
    expect(first.applied).toEqual([FIRST]);
    expect(await recorded()).toEqual([FIRST]);

    const rest = JSON.parse((await cli(['upgrade', '--json'])).stdout);
    expect(rest.applied).toEqual(MIGRATIONS.slice(1));
    expect(await recorded()).toEqual(MIGRATIONS);
  });

  it('refuses an unknown revision and going back further than applied, exit 1, changing nothing', async () => {
    for (const args of [
      ['downgrade', '--revision', '1999'],
      ['upgrade', '--revision', 'nope'],
      ['downgrade', `-${MIGRATIONS.length + 1}`],
    ]) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(expectOneLine(result.stderr)).toMatch(/^Error: (unknown revision|cannot undo)/);
    }
    expect(await recorded()).toEqual(MIGRATIONS);
  });
});

describe('db init', () => {
  // read once the file's database exists
  const freshUrl = () => withDatabaseName(db.url, `${new URL(db.url).pathname.slice(1)}_init`);
  afterAll(() => dropDatabase(freshUrl()));

  it('creates a missing database and migrates it; a second run has nothing to do', async () => {
    const fresh = freshUrl();
    const missing = await cli(['current'], fresh);
    expect(missing.code).toBe(1);
    expect(expectOneLine(missing.stderr)).toMatch(/does not exist.*db init/);

    const first = await cli(['init'], fresh);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Created database .*_init\nApplied: /);
    expect(await recorded(fresh)).toEqual(MIGRATIONS);
    const again = await cli(['init'], fresh);
    expect(again.stdout).toMatch(/^Database .*_init exists\nAlready up to date\.\n$/);
  });
});

describe('db migrate', () => {
  // a copy of the schema and migrations: the repository's are never touched
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-cli-migrate-'));
  const schema = path.join(work, 'schema.prisma');
  const migrations = path.join(work, 'migrations');
  fs.cpSync(migrationsDir, migrations, { recursive: true });
  fs.writeFileSync(schema, fs.readFileSync(schemaPath, 'utf8').replace(/output\s*=\s*"[^"]*"/, `output = "${path.join(work, 'client')}"`));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const migrate = (message: string) => cli(['migrate', '-m', message, '--schema', schema, '--migrations-dir', migrations, '--json']);

  it('creates <timestamp>_<message>/ with migration.sql and a down.sql that undoes it', async () => {
    fs.appendFileSync(schema, '\nmodel Tag {\n  id   Int    @id\n  name String @db.VarChar(50)\n\n  @@map("cli_test_tags")\n}\n');
    const result = await migrate('Add tags!');
    expect(result.code).toBe(0);
    const { created } = JSON.parse(result.stdout) as { created: string };
    expect(created).toMatch(/^\d{14}_add_tags$/);
    expect(created > HEAD).toBe(true);
    const up = fs.readFileSync(path.join(migrations, created, 'migration.sql'), 'utf8');
    const down = fs.readFileSync(path.join(migrations, created, 'down.sql'), 'utf8');
    expect(up).toContain('CREATE TABLE "cli_test_tags"');
    expect(down).toContain('DROP TABLE "public"."cli_test_tags"');

    // the pair really applies and undoes
    await query(db.url, up);
    expect(await schemaShape()).toEqual(expect.arrayContaining(['cli_test_tags.id', 'cli_test_tags.name']));
    await query(db.url, down);
    expect((await schemaShape()).some((c) => c.startsWith('cli_test_tags.'))).toBe(false);

    // with the new migration, migrations and schema agree: nothing more to create
    expect(JSON.parse((await migrate('again')).stdout)).toEqual({ created: null });
    expect(fs.readdirSync(migrations).filter((n) => !fs.readdirSync(migrationsDir).includes(n))).toEqual([created]);
    expect(fs.readdirSync(migrationsDir).some((n) => n.endsWith('_add_tags'))).toBe(false);
  });

  it('needs -m, and a message with letters or digits', async () => {
    const missing = await cli(['migrate']);
    expect(missing.code).toBe(2);
    expect(expectOneLine(missing.stderr)).toMatch(/Missing required flag message/);
    const empty = await migrate('!!!');
    expect(empty.code).toBe(1);
    expect(expectOneLine(empty.stderr)).toMatch(/needs at least one letter or digit/);
  });
});
