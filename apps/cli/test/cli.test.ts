// The command surface: help, the example command, usage errors, bad settings, an unreachable
// database, and the route table (as the API lists it: apps/api/test/route-table.test.ts checks the
// listing itself against the routers).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Route } from '../src/lib/routes.ts';
import { expectOneLine, REPO_ROOT, runCli } from './helpers.ts';

const UNREACHABLE_DB = 'postgresql://postgres@127.0.0.1:1/nothing';

describe('personal_automations', () => {
  it('lists every topic in --help, and each topic its commands', async () => {
    const root = await runCli(['--help']);
    expect(root.code).toBe(0);
    for (const topic of ['server', 'db', 'user', 'cmd', 'worker']) expect(root.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, 'm'));
    const db = await runCli(['db', '--help']);
    for (const verb of ['current', 'downgrade', 'history', 'init', 'migrate', 'upgrade']) expect(db.stdout).toContain(`db ${verb}`);
  });

  it('cmd hello greets --count times with -n/--name, then prints Done!', async () => {
    const result = await runCli(['cmd', 'hello', '-n', 'Ada', '-c', '2']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('[1] Hello, Ada!\n[2] Hello, Ada!\nDone!\n');
  });

  it.concurrent.for<[string[], RegExp]>([
    [['cmd', 'hello', '--bogus'], /^Error: Nonexistent flag: --bogus \(see --help\)$/],
    [['cmd', 'hello', '--count', 'many'], /^Error: Parsing --count.*integer.*many/],
    [['user', 'set-role', 'a@example.com', '--role', 'king'], /^Error: Expected --role=king to be one of: user, admin/],
    [['no-such-command'], /^Error: unknown command "no-such-command"/],
  ])('a usage error (%j) is one line on stderr and exit code 2', async ([args, message], { expect }) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('bad settings are listed and exit 1', async () => {
    const result = await runCli(['user', 'list'], { env: { PORT: 'eighty' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Invalid settings:\n\s+- PORT: expected an integer/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('an unreachable database is one clear line and exit 1; DEBUG adds the stack trace', async () => {
    const [users, current, debug] = await Promise.all([
      runCli(['user', 'list'], { databaseUrl: UNREACHABLE_DB }),
      runCli(['db', 'current'], { databaseUrl: UNREACHABLE_DB }),
      runCli(['db', 'current'], { databaseUrl: UNREACHABLE_DB, env: { DEBUG: 'true' } }),
    ]);
    for (const result of [users, current]) {
      expect(result.code).toBe(1);
      expect(expectOneLine(result.stderr)).toMatch(/^Error: cannot reach the database server at 127\.0\.0\.1:1/);
    }
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^Error: cannot reach the database server/);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });

  it('server routes lists what the built server serves: REST with procedure names, other routes, tRPC, the WebSocket', async () => {
    const [table, json] = await Promise.all([runCli(['server', 'routes']), runCli(['server', 'routes', '--json'])]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^HTTP routes \(\d+\)\nMETHOD\s+PATH\s+NAME$/m);
    expect(table.stdout).toMatch(/^POST\s+\/api\/v1\/auth\/login\s+auth\.login$/m);
    expect(table.stdout).toMatch(/^GET\s+\/api\/v1\/items\/\{item_id\}\s+items\.get$/m);
    expect(table.stdout).toMatch(/^tRPC procedures \(\d+\)$/m);
    expect(table.stdout).toMatch(/^POST\s+\/trpc\/items\.create\s+items\.create$/m);
    expect(table.stdout).toMatch(/^WebSocket \(1\)\n[\s\S]*\/api\/v1\/ws\/agent\s+agent$/m);

    const routes = JSON.parse(json.stdout) as Route[];
    expect(routes).toContainEqual({ kind: 'http', method: 'GET', path: '/api/v1/openapi.json', name: 'openapi' });
    expect(routes).toContainEqual({ kind: 'trpc', method: 'POST', path: '/trpc/auth.login', name: 'auth.login' });
    expect(routes).toContainEqual({ kind: 'websocket', method: 'GET (WebSocket)', path: '/api/v1/ws/agent', name: 'agent' });
    expect(routes.some((r) => r.method === 'HEAD' || r.path.includes(':'))).toBe(false);
    // exactly the API's own listing, which apps/api/test/route-table.test.ts checks against the routers
    const listing = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'apps', 'api', 'src', 'print-routes.ts')], {
      cwd: REPO_ROOT,
    });
    expect(routes).toEqual(JSON.parse(listing.stdout));
  });
});
