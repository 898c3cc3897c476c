// The command surface: help, the example command, usage errors, bad settings, an unreachable
// database, and the route table.
import { describe, expect, it } from 'vitest';
import { parseRouteTree, type Route } from '../src/lib/routes.ts';
import { expectOneLine, runCli } from './helpers.ts';

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
    const { appRouter, buildOperations } = await import('@personal-automations/api');
    // every REST operation, each once, named after its procedure
    expect(routes.filter((r) => r.kind === 'rest').map((r) => `${r.method} ${r.path} ${r.name}`).sort()).toEqual(
      buildOperations(appRouter).map((op) => `${op.method} /api/v1${op.openApiPath} ${op.procedurePath}`).sort(),
    );
    expect(routes).toContainEqual({ kind: 'http', method: 'GET', path: '/api/v1/openapi.json', name: 'openapi' });
    expect(routes.filter((r) => r.kind === 'trpc').map((r) => r.name).sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
    expect(routes).toContainEqual({ kind: 'trpc', method: 'POST', path: '/trpc/auth.login', name: 'auth.login' });
    expect(routes).toContainEqual({ kind: 'websocket', method: 'GET (WebSocket)', path: '/api/v1/ws/agent', name: 'agent' });
    expect(routes.some((r) => r.method === 'HEAD' || r.path.includes(':'))).toBe(false);
  });

  it('reads nested paths out of Fastify\'s route tree', () => {
    const tree = [
      '├── /trpc/:path (GET, POST)',
      '├── /api/v1/items (GET, HEAD, POST)',
      '│   └── /:item_id (GET, HEAD, DELETE)',
      '│       └── /tags (GET)',
      '├── /docs (GET)',
      '│   └── / (GET)',
      '│       └── js/app.js (GET)',
      '└── * (OPTIONS)',
    ].join('\n');
    expect(parseRouteTree(tree)).toEqual([
      { method: 'GET', path: '/trpc/:path' },
      { method: 'POST', path: '/trpc/:path' },
      { method: 'GET', path: '/api/v1/items' },
      { method: 'HEAD', path: '/api/v1/items' },
      { method: 'POST', path: '/api/v1/items' },
      { method: 'GET', path: '/api/v1/items/:item_id' },
      { method: 'HEAD', path: '/api/v1/items/:item_id' },
      { method: 'DELETE', path: '/api/v1/items/:item_id' },
      { method: 'GET', path: '/api/v1/items/:item_id/tags' },
      { method: 'GET', path: '/docs' },
      { method: 'GET', path: '/docs/' },
      { method: 'GET', path: '/docs/js/app.js' },
      { method: 'OPTIONS', path: '*' },
    ]);
  });
});
