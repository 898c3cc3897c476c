// Embedded PostgreSQL (PGlite served over the wire protocol): migrations recorded as Prisma does,
// Prisma through the served URL, the one-process lock, shutdown on SIGTERM, copies of a closed
// data dir (the embedded test mode) and the export into a real PostgreSQL.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSettings } from '@personal-automations/config';
import { dropDatabase, ensureDatabase, withDatabaseName } from '../src/admin.ts';
import { createPrismaClient, type Database } from '../src/client.ts';
import {
  type EmbeddedDatabase,
  EmbeddedDatabaseInUseError,
  exportEmbeddedDatabase,
  LOCK_FILE_NAME,
  openEmbeddedDatabase,
} from '../src/embedded/index.ts';
import { migrationChecksum } from '../src/embedded/migrate.ts';
import { isUniqueViolation } from '../src/errors.ts';
import { listMigrations, migrationsDir, runPrisma } from '../src/migrations.ts';
import { createTestDataDir } from './databases.ts';

const childScript = fileURLToPath(new URL('./fixtures/embedded-child.ts', import.meta.url));
const CHILD_DEADLINE_MS = 45_000;

type ChildResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs the fixture script; `ready` resolves once it printed READY, `exit` when it ended. */
function startChild(args: string[]) {
  const child = spawn(process.execPath, [childScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<ChildResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not ready in time; stderr: ${stderr}`)), CHILD_DEADLINE_MS);
    child.stdout.on('data', () => {
      if (stdout.includes('READY\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exit.then((r) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${r.code}) before READY: ${r.stderr}`));
    });
  });
  ready.catch(() => {}); // observed by the tests that wait for it
  return { child, ready, exit };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function userEmails(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (await c.query<{ email: string }>('SELECT email FROM users ORDER BY email')).rows.map((r) => r.email),
  );
}

describe('embedded PostgreSQL', () => {
  let root: string;
  let dataDir: string;
  const lockFile = () => path.join(dataDir, LOCK_FILE_NAME);
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pa_embedded_test_'));
    dataDir = path.join(root, 'data');
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('a fresh data dir, open', () => {
    let db: EmbeddedDatabase;
    let prisma: Database;
    beforeAll(async () => {
      db = await openEmbeddedDatabase({ dataDir });
      prisma = createPrismaClient({ url: db.url, maxConnections: 1 });
    });
    afterAll(async () => {
      await prisma?.$disconnect();
      await db?.close();
    });

    it('creates the dir, applies every migration and records them exactly as Prisma does', async () => {
      expect(db.dataDir).toBe(dataDir);
      expect(db.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(db.appliedMigrations).toEqual(listMigrations());
      expect(db.appliedMigrations.length).toBeGreaterThanOrEqual(2);
      const rows = await prisma.$queryRaw<
        {
          id: string;
          checksum: string;
          finished_at: Date | null;
          migration_name: string;
          logs: string | null;
          rolled_back_at: Date | null;
          started_at: Date;
          applied_steps_count: number;
        }[]
      >`SELECT * FROM _prisma_migrations ORDER BY migration_name`;
      expect(rows.map((r) => r.migration_name)).toEqual(listMigrations());
      for (const row of rows) {
        expect(row.checksum).toBe(migrationChecksum(fs.readFileSync(path.join(migrationsDir, row.migration_name, 'migration.sql'))));
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
        expect([row.logs, row.rolled_back_at, row.applied_steps_count]).toEqual([null, null, 1]);
      }
      expect(fs.readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
    });

    it('serves Prisma: create with nested writes, read with includes, update, cascade delete', async () => {
      const user = await prisma.user.create({
        data: {
          email: 'ada@example.com',
          conversations: {
            create: {
              title: 'first',
              messages: {
                create: [
                  { role: 'user', content: 'hi' },
                  { role: 'assistant', content: 'hello' },
                ],
              },
            },
          },
        },
      });
      const found = await prisma.user.findUniqueOrThrow({
        where: { id: user.id },
        include: { conversations: { include: { messages: { orderBy: { role: 'desc' } } } } },
      });
      expect(found.conversations).toHaveLength(1);
      expect(found.conversations[0]!.messages.map((m) => m.content)).toEqual(['hi', 'hello']);
      await prisma.user.update({ where: { id: user.id }, data: { fullName: 'Ada' } });
      expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).fullName).toBe('Ada');
      const doomed = await prisma.user.create({ data: { email: 'gone@example.com', conversations: { create: { title: 'x' } } } });
      await prisma.user.delete({ where: { id: doomed.id } });
      expect(await prisma.conversation.count({ where: { userId: doomed.id } })).toBe(0);
    });

    it('runs interactive transactions: commits with tx, rolls back on a throw', async () => {
      const created = await prisma.$transaction(async (tx) => {
        const item = await tx.item.create({ data: { title: 'tx-kept' } });
        await tx.item.update({ where: { id: item.id }, data: { description: 'seen inside' } });
        return tx.item.findUniqueOrThrow({ where: { id: item.id } });
      });
      expect(created.description).toBe('seen inside');
      await expect(
        prisma.$transaction(async (tx) => {
          await tx.item.create({ data: { title: 'tx-dropped' } });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await prisma.item.count({ where: { title: { startsWith: 'tx-' } } })).toBe(1);
    });

    it('reports a unique violation as P2002', async () => {
      const error = await prisma.user.create({ data: { email: 'ada@example.com' } }).catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
    });

    it('answers 50 concurrent queries correctly over the single pooled connection', async () => {
      const titles = Array.from({ length: 25 }, (_, i) => `concurrent-${i}`);
      const results = await Promise.all([
        ...titles.map((title) => prisma.item.create({ data: { title } })),
        ...titles.map((_, i) => prisma.$queryRaw<{ n: number }[]>`SELECT ${i}::int AS n`),
      ]);
      expect(results.slice(0, 25).map((r) => (r as { title: string }).title)).toEqual(titles);
      expect(results.slice(25).map((r) => (r as { n: number }[])[0]!.n)).toEqual(titles.map((_, i) => i));
      expect(await prisma.item.count({ where: { title: { startsWith: 'concurrent-' } } })).toBe(25);
    });

    it('refuses a second open, and an export, in the same process', async () => {
      const again = await openEmbeddedDatabase({ dataDir }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(EmbeddedDatabaseInUseError);
      expect((again as EmbeddedDatabaseInUseError).pid).toBe(process.pid);
      await expect(exportEmbeddedDatabase(dataDir)).rejects.toBeInstanceOf(EmbeddedDatabaseInUseError);
    });

    it('refuses another process with a clear message while this one holds it', async () => {
      const result = await startChild([dataDir, 'open']).exit;
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('EmbeddedDatabaseInUseError');
      expect(result.stderr).toContain(dataDir);
      expect(result.stderr).toContain(`process ${process.pid}`);
      expect(result.stderr).toContain('one process at a time');
      expect(result.stderr).toContain('DATABASE_URL');
    });
  });

  it('close() is idempotent and removes the lock; a reopen keeps the data and applies nothing', async () => {
    expect(fs.existsSync(lockFile())).toBe(false);
    const db = await openEmbeddedDatabase({ dataDir });
    try {
      expect(db.appliedMigrations).toEqual([]);
      expect(await userEmails(db.url)).toEqual(['ada@example.com']);
      expect(await withClient(db.url, async (c) => (await c.query('SELECT 1 FROM _prisma_migrations')).rowCount)).toBe(
        listMigrations().length,
      );
    } finally {
      await Promise.all([db.close(), db.close()]);
      await db.close();
    }
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('takes over a lock left by a dead process', async () => {
    fs.writeFileSync(lockFile(), `${await deadPid()}\n`);
    const db = await openEmbeddedDatabase({ dataDir });
    expect(fs.readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
    await db.close();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('a process that closes on SIGTERM exits 0, leaves no lock, and its write survives', async () => {
    const { child, ready, exit } = startChild([dataDir, 'serve', 'sigterm@example.com']);
    await ready;
    expect(fs.readFileSync(lockFile(), 'utf8').trim()).toBe(String(child.pid));
    child.kill('SIGTERM');
    const result = await exit;
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(fs.existsSync(lockFile())).toBe(false);
    const db = await openEmbeddedDatabase({ dataDir });
    try {
      expect(await userEmails(db.url)).toContain('sigterm@example.com');
    } finally {
      await db.close();
    }
  });

  it('a copy of a closed data dir (the embedded test mode) leaves the lock behind and opens', async () => {
    // A lock naming a live process (our parent) would refuse the copy if it were copied.
    fs.writeFileSync(lockFile(), `${process.ppid}\n`);
    const copy = await createTestDataDir(dataDir);
    try {
      fs.rmSync(lockFile());
      expect(fs.existsSync(path.join(copy.dataDir, LOCK_FILE_NAME))).toBe(false);
      const db = await openEmbeddedDatabase({ dataDir: copy.dataDir });
      try {
        expect(db.appliedMigrations).toEqual([]);
        expect(await userEmails(db.url)).toContain('ada@example.com');
      } finally {
        await db.close();
      }
    } finally {
      await copy.remove();
    }
    expect(fs.existsSync(copy.dataDir)).toBe(false);
  });

  it('exports SQL that a real PostgreSQL loads, with rows and a history prisma migrate status accepts', async () => {
    const sql = await exportEmbeddedDatabase(dataDir);
    expect(sql).toContain('INSERT INTO public._prisma_migrations');
    expect(sql).not.toMatch(/^\\|transaction_timeout|COPY .* FROM stdin/m);
    const url = withDatabaseName(getSettings().databaseUrl, `pa_test_embedded_export_${randomBytes(4).toString('hex')}`);
    await ensureDatabase(url);
    try {
      await withClient(url, (c) => c.query(sql));
      const status = await runPrisma(['migrate', 'status'], url);
      expect(status.stdout).toContain('Database schema is up to date');
      expect(status.code).toBe(0);
      expect(await userEmails(url)).toEqual(['ada@example.com', 'sigterm@example.com']);
      const counts = await withClient(
        url,
        async (c) =>
          (await c.query(`SELECT (SELECT count(*) FROM items)::int AS items, (SELECT count(*) FROM messages)::int AS messages`)).rows[0],
      );
      expect(counts).toEqual({ items: 26, messages: 2 });
      // Sequences and defaults came along: the loaded database takes new rows.
      await withClient(url, (c) => c.query(`INSERT INTO users (email) VALUES ('after-import@example.com')`));
    } finally {
      await dropDatabase(url);
    }
  });
});
