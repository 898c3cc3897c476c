// user create / create-admin / list / set-role: flags, answers on stdin, validation and exit codes.
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '@personal-automations/services';
import { useTestDatabase } from '@personal-automations/testing';
import { expectOneLine, query, runCli } from './helpers.ts';

const db = useTestDatabase();
const cli = (args: string[], input?: string) => runCli(['user', ...args], { databaseUrl: db.url, input });

type UserRow = { email: string; role: string; is_superuser: boolean; is_active: boolean; hashed_password: string };
const userRow = async (email: string) => (await query<UserRow>(db.url, 'SELECT * FROM users WHERE email = $1', [email]))[0];

describe('user create', () => {
  it('creates a user from flags (--json prints the UserRead), with a hashed password', async () => {
    const result = await cli([
      'create',
      '--email',
      'flags@Example.COM',
      '--password',
      'correct horse',
      '--role',
      'admin',
      '--superuser',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const user = JSON.parse(result.stdout);
    // the same normalisation as register: the domain is lower-cased
    expect(user).toMatchObject({ email: 'flags@example.com', role: 'admin', is_superuser: true, is_active: true });
    const row = await userRow('flags@example.com');
    expect(row).toMatchObject({ role: 'admin', is_superuser: true });
    expect((await verifyPassword('correct horse', row!.hashed_password)).ok).toBe(true);
  });

  it('with both --email and --password a missing --role means "user" (nothing is asked)', async () => {
    const result = await cli(['create', '--email', 'plain@example.com', '--password', 'correct horse']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^User created: plain@example\.com \(id [0-9a-f-]{36}, role user\)$/m);
    expect(await userRow('plain@example.com')).toMatchObject({ role: 'user', is_superuser: false });
  });

  it('asks for the missing email, password (twice) and role; the answers come from stdin', async () => {
    const result = await cli(['create'], 'asked@example.com\nsecret-pass\nsecret-pass\nadmin\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Email: [\s\S]*Password: [\s\S]*Repeat for confirmation: [\s\S]*Role \(user\/admin\) \[user\]: /);
    expect(result.stdout).toContain('User created: asked@example.com');
    expect(await userRow('asked@example.com')).toMatchObject({ role: 'admin', is_superuser: false });
  });

  it('an empty answer to the role question takes the default, user', async () => {
    const result = await cli(['create', '--email', 'default-role@example.com'], 'secret-pass\nsecret-pass\n\n');
    expect(result.code).toBe(0);
    expect(await userRow('default-role@example.com')).toMatchObject({ role: 'user' });
  });

  it.concurrent.for<[string[], string, RegExp]>([
    [['create', '--email', 'not-an-email', '--password', 'correct horse'], '', /^Error: invalid email: /],
    [['create', '--email', 'short@example.com', '--password', 'short'], '', /^Error: invalid password: .*8/],
    [['create'], 'bad email\n', /^Error: invalid email: /],
    [['create'], 'mismatch@example.com\nsecret-pass\nother-pass\n', /^Error: the two entered passwords do not match$/],
    [['create'], '', /^Error: no answer for "Email" \(standard input is closed\)$/],
  ])('refuses bad input (%j) with one line and exit 1, creating nothing', async ([args, input, message], { expect }) => {
    const result = await cli(args, input);
    expect(result.code).toBe(1);
    expect(expectOneLine(result.stderr.replace(/^.*: \n/gm, ''))).toMatch(message);
    expect(await query(db.url, `SELECT 1 FROM users WHERE email IN ('short@example.com', 'mismatch@example.com', 'not-an-email')`)).toEqual(
      [],
    );
  });

  it('a taken email prints "User already exists: <email>" and exit 1, from a flag or an answer', async () => {
    const result = await cli(['create', '--email', 'plain@example.com', '--password', 'another pass']);
    expect(result.code).toBe(1);
    expect(expectOneLine(result.stderr)).toBe('User already exists: plain@example.com');
    // asked for: the answer is checked before the password is asked for
    const asked = await cli(['create'], 'plain@example.com\n');
    expect(asked.code).toBe(1);
    expect(asked.stderr).not.toContain('Password');
    expect(asked.stderr.trim().split('\n').at(-1)).toBe('User already exists: plain@example.com');
  });
});

describe('user create-admin', () => {
  it('creates role admin AND superuser, asking for the password', async () => {
    const result = await cli(['create-admin', '--email', 'root@example.com'], 'admin-pass\nadmin-pass\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('User created: root@example.com');
    expect(await userRow('root@example.com')).toMatchObject({ role: 'admin', is_superuser: true });
  });
});

describe('user list and set-role', () => {
  it('lists users as a table with id, email, role, active and superuser, and as JSON', async () => {
    const table = await cli(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+EMAIL\s+ROLE\s+ACTIVE\s+SUPERUSER$/m);
    expect(table.stdout).toMatch(/^[0-9a-f-]{36}\s+root@example\.com\s+admin\s+yes\s+yes$/m);
    expect(table.stdout).toMatch(/^[0-9a-f-]{36}\s+plain@example\.com\s+user\s+yes\s+no$/m);

    const json = JSON.parse((await cli(['list', '--json'])).stdout) as { email: string }[];
    const emails = (await query<{ email: string }>(db.url, 'SELECT email FROM users ORDER BY created_at, id')).map((r) => r.email);
    expect(json.map((u) => u.email)).toEqual(emails);
  });

  it('set-role changes the role (the email is normalised like at registration)', async () => {
    const result = await cli(['set-role', 'plain@EXAMPLE.com', '--role', 'admin']);
    expect(result).toMatchObject({ code: 0, stdout: 'Role of plain@example.com set to admin\n' });
    expect(await userRow('plain@example.com')).toMatchObject({ role: 'admin' });
    const back = JSON.parse((await cli(['set-role', 'plain@example.com', '--role', 'user', '--json'])).stdout);
    expect(back).toMatchObject({ email: 'plain@example.com', role: 'user' });
  });

  it('set-role on an unknown email: "User not found: <email>", exit 1', async () => {
    const result = await cli(['set-role', 'ghost@example.com', '--role', 'admin']);
    expect(result.code).toBe(1);
    expect(expectOneLine(result.stderr)).toBe('User not found: ghost@example.com');
  });

  it('set-role with a malformed email or without --role fails before touching anything', async () => {
    const malformed = await cli(['set-role', 'nope', '--role', 'admin']);
    expect(malformed.code).toBe(1);
    expect(expectOneLine(malformed.stderr)).toMatch(/^Error: invalid email/);
    const missing = await cli(['set-role', 'plain@example.com']);
    expect(missing.code).toBe(2);
    expect(expectOneLine(missing.stderr)).toMatch(/Missing required flag role/);
  });
});
