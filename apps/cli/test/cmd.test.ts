// cmd seed and cmd cleanup: their messages, what they write and delete, and confirmation.
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '@personal-automations/services';
import { useTestDatabase } from '@personal-automations/testing';
import { expectOneLine, query, runCli } from './helpers.ts';

const db = useTestDatabase();
const cli = (args: string[], input?: string) => runCli(['cmd', ...args], { databaseUrl: db.url, input });
const count = async (table: string, where = 'TRUE') =>
  Number((await query<{ n: string }>(db.url, `SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);

describe('cmd seed', () => {
  it('--dry-run prints what it would do, in order, and touches nothing', async () => {
    const result = await cli(['seed', '--dry-run', '--clear', '-c', '7']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      '[DRY RUN] Would create 7 sample records per entity\n[DRY RUN] Would clear existing data first\n[DRY RUN] Would create users\n[DRY RUN] Would create items\n',
    );
    const partial = await cli(['seed', '--dry-run', '--no-users']);
    expect(partial.stdout).toBe('[DRY RUN] Would create 10 sample records per entity\n[DRY RUN] Would create items\n');
    expect(await count('users')).toBe(0);
    expect(await count('items')).toBe(0);
  });

  it('creates N users (password123, role user) and N items, with a progress bar on stderr', async () => {
    const result = await cli(['seed', '--count', '4']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Created: 4 users, 4 items\n');
    expect(result.stderr).toMatch(/^Creating users \[#+\] 4\/4$/m);
    expect(result.stderr).toMatch(/^Creating items \[#+\] 4\/4$/m);
    const users = await query<{ email: string; role: string; is_active: boolean; is_superuser: boolean; hashed_password: string }>(
      db.url,
      'SELECT * FROM users',
    );
    expect(users).toHaveLength(4);
    for (const user of users) {
      expect(user.email).toMatch(/^[a-z]{8}@example\.com$/);
      expect(user).toMatchObject({ role: 'user', is_active: true, is_superuser: false });
    }
    expect((await verifyPassword('password123', users[0]!.hashed_password)).ok).toBe(true);
    expect(await count('items')).toBe(4);
    // created through the services: their events are in the outbox
    expect(await count('outbox_events', `event_type = 'user.created'`)).toBe(4);
  });

  it('skips kinds that already have rows unless --clear', async () => {
    const result = await cli(['seed', '-c', '2']);
    expect(result.stdout).toBe(
      'Users already exist. Use --clear to replace them.\nItems already exist. Use --clear to replace them.\nNo records created.\n',
    );
    expect(await count('users')).toBe(4);
    expect(await count('items')).toBe(4);
  });

  it('--clear replaces non-superusers (superusers stay) and items; --no-items leaves items alone; --json counts', async () => {
    const admin = await runCli(['user', 'create-admin', '--email', 'keep@example.com', '--password', 'admin-pass'], {
      databaseUrl: db.url,
    });
    expect(admin.code).toBe(0);
    const result = await cli(['seed', '-c', '3', '--clear', '--no-items', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ dry_run: false, users: 3, items: 0 });
    expect(await count('users')).toBe(4);
    expect(await count('users', `email = 'keep@example.com' AND is_superuser`)).toBe(1);
    expect(await count('items')).toBe(4);

    const items = await cli(['seed', '-c', '2', '--clear', '--no-users']);
    expect(items.stdout).toBe('Cleared 4 items\nCreated: 0 users, 2 items\n');
    expect(await count('items')).toBe(2);
  });
});

describe('cmd cleanup', () => {
  const DAY = "interval '1 day'";
  beforeAll(async () => {
    const [user] = await query<{ id: string }>(
      db.url,
      `INSERT INTO users (email, role) VALUES ('sessions@example.com', 'user') RETURNING id`,
    );
    const [hook] = await query<{ id: string }>(
      db.url,
      `INSERT INTO webhooks (name, url, secret, events) VALUES ('h', 'http://127.0.0.1/', 's', '{}') RETURNING id`,
    );
    for (const [expires, label] of [
      [`now() - ${DAY}`, 'expired'],
      [`now() - 40 * ${DAY}`, 'expired'],
      [`now() + ${DAY}`, 'live'],
    ]) {
      await query(db.url, `INSERT INTO sessions (user_id, refresh_token_hash, device_name, expires_at) VALUES ($1, 'h', $2, ${expires})`, [
        user!.id,
        label,
      ]);
    }
    for (const age of [40, 35, 1]) {
      await query(
        db.url,
        `INSERT INTO webhook_deliveries (webhook_id, event_type, payload, created_at) VALUES ($1, 'e', '{}', (now() at time zone 'utc') - ${age} * ${DAY})`,
        [hook!.id],
      );
    }
  });

  it('--dry-run prints the cutoff and the counts, and deletes nothing', async () => {
    const result = await cli(['cleanup', '--dry-run', '--days', '30']);
    expect(result.code).toBe(0);
    const [first, second] = result.stdout.trim().split('\n');
    const cutoff = new Date(/older than (\S+)$/.exec(first!)![1]!);
    expect(Math.abs(cutoff.getTime() - (Date.now() - 30 * 86_400_000))).toBeLessThan(60_000);
    expect(first).toMatch(/^\[DRY RUN\] Would delete records older than \d{4}-\d\d-\d\dT/);
    expect(second).toMatch(/^\[DRY RUN\] Would delete 2 expired sessions, and 2 webhook deliveries older than /);
    expect(await count('sessions')).toBe(3);
    expect(await count('webhook_deliveries')).toBe(3);
  });

  it('asks first: "n" (or no answer) aborts with exit 1 and deletes nothing', async () => {
    for (const input of ['n\n', '']) {
      const result = await cli(['cleanup', '--days', '30'], input);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Delete 2 expired sessions, and 2 webhook deliveries older than .*\? \[y\/N\]: $/m);
      expect(result.stderr.trim().split('\n').at(-1)).toBe('Aborted.');
    }
    expect(await count('sessions')).toBe(3);
  });

  it('"y" deletes expired sessions and the deliveries older than --days, nothing else', async () => {
    const result = await cli(['cleanup', '--days', '36'], 'y\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Deleted 2 expired sessions, and 1 webhook deliveries older than /);
    expect(await query(db.url, 'SELECT device_name FROM sessions')).toEqual([{ device_name: 'live' }]);
    expect(await count('webhook_deliveries')).toBe(2);
  });

  it('--force does not ask; --json reports the counts; nothing left means nothing asked', async () => {
    const forced = await cli(['cleanup', '-d', '30', '-f', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ dry_run: false, deleted: true, sessions: 0, deliveries: 1 });
    expect(await count('webhook_deliveries')).toBe(1);
    const nothing = await cli(['cleanup']);
    expect(nothing).toMatchObject({ code: 0, stdout: 'Nothing to clean up.\n', stderr: '' });
  });

  it('refuses a negative --days as a usage error', async () => {
    const result = await cli(['cleanup', '--days', '-3']);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr);
  });
});
