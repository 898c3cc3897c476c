// The CLI with no PostgreSQL or Redis configured: its commands work on the embedded database,
// one process at a time, and `db export` writes what a real PostgreSQL loads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_VARIABLES } from '@personal-automations/config';
import { listMigrations } from '@personal-automations/db/migrations';
import { collect, expectOneLine, runCli, startCli, waitForOutput } from './helpers.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-test-cli-embedded-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Every server variable blank (blank counts as unset), so the settings pick the embedded parts. */
const env = { ...Object.fromEntries(SERVER_VARIABLES.map((name) => [name, ''])), EMBEDDED_DATA_DIR: dataDir };
const cli = (args: string[]) => runCli(args, { env });

describe('the CLI on the embedded database', { timeout: 120_000 }, () => {
  it('creates and reads users, refuses a second process while one holds the database, and exports it', async () => {
    const created = await cli(['user', 'create', '--email', 'embedded@example.com', '--password', 'correct horse']);
    expect(created.code, created.stderr).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    const current = await cli(['db', 'current', '--json']);
    expect(JSON.parse(current.stdout)).toEqual({ current: listMigrations().at(-1), head: listMigrations().at(-1), pending: [] });

    // the worker holds the database: every other process is refused with one line
    const holder = startCli(['worker', 'run'], { env });
    holder.stdin.end();
    await waitForOutput(holder, /Worker running/, 60_000);
    try {
      for (const args of [
        ['user', 'list'],
        ['db', 'export'],
      ]) {
        const refused = await cli(args);
        expect(refused.code, args.join(' ')).toBe(1);
        expectOneLine(refused.stderr);
        expect(refused.stderr).toContain(`The embedded database in ${dataDir} is in use by process ${holder.pid}`);
      }
    } finally {
      holder.kill('SIGTERM');
      expect((await collect(holder)).code).toBe(0);
    }

    const listed = await cli(['user', 'list', '--json']);
    expect(JSON.parse(listed.stdout).map((u: { email: string }) => u.email)).toContain('embedded@example.com');
    const file = path.join(dataDir, '..', `${path.basename(dataDir)}.sql`);
    const exported = await cli(['db', 'export', '-o', file]);
    try {
      expect(exported.code, exported.stderr).toBe(0);
      const sql = fs.readFileSync(file, 'utf8');
      expect(sql).toContain('CREATE TABLE public.users');
      expect(sql).toContain('embedded@example.com');
      expect(sql).toContain(listMigrations().at(-1)!); // the migration history goes along
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('db migrate needs a server; db export needs the embedded database', async () => {
    const migrate = await cli(['db', 'migrate', '-m', 'nothing']);
    expect(migrate.code).toBe(1);
    expectOneLine(migrate.stderr);
    expect(migrate.stderr).toContain('db migrate needs a PostgreSQL server');

    const onServer = await runCli(['db', 'export'], { env: { ...env, DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused' } });
    expect(onServer.code).toBe(1);
    expect(onServer.stderr).toContain('use pg_dump');
  });
});
