// Benchmark: GET /api/v1/items?page=1&size=20 with 1,000 rows, the full API ("stack") beside a
// bare Fastify + pg route running the same SQL ("bare"). Each server runs in its own child
// process; autocannon drives them from this process, one at a time, in alternating rounds.
// The items list needs a login: a user is registered and logged in through the stack's own
// REST API, and every request of every target carries its bearer token (the bare routes other
// than bare-auth ignore it).
// Prints requests/s and p50/p99 latency of each target's median round, and stack ÷ bare; also
// each server process's CPU time per request (less sensitive than requests/s to the load
// generator and PostgreSQL sharing the machine's cores).
//
// Settings (environment):
//   BENCH_DURATION     seconds per measured round (default 8)
//   BENCH_ROUNDS       measured rounds per target (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_WARMUP       warm-up seconds per target before the rounds (default 5)
//   BENCH_TARGETS      comma-separated, from stack,stack-nolimit,bare,bare-auth,bare-tx,prisma
//                      (default stack,bare,bare-auth). Diagnostic extras: stack-nolimit is the
//                      stack with its rate limiter off; bare-auth is the bare route
//                      running the same SQL as the stack per request (verify the HS256 access
//                      token, look up its session and user, then the two items queries inside
//                      BEGIN/COMMIT; not the rate limiter's Redis counter); bare-tx is the bare route with only the BEGIN/COMMIT;
//                      prisma is a bare Fastify route over the project's Prisma client (the same
//                      queries as ItemService.list), without the API's layers and auth
// The database server is the one the settings name (DATABASE_URL or POSTGRES_*); a fresh
// database pa_bench_<random> is created there and dropped at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { getSettings } from '@personal-automations/config';
import { dropDatabase, ensureDatabase, withDatabaseName } from '@personal-automations/db';
import { migrateDeploy } from '@personal-automations/db/migrations';
import type { ChildMessage } from './lib/child.ts';
import { intEnv } from './lib/env.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROWS = 1000;
const PATH = '/items?page=1&size=20';
const CHILD_START_TIMEOUT_MS = 60_000;
const CHILD_STOP_TIMEOUT_MS = 10_000;

// The API's rate limit (RATE_LIMIT_REQUESTS per RATE_LIMIT_PERIOD per user) would answer nearly
// every request of a load test with 429: the stack runs with the limiter on (its per-request
// cost is part of the stack) and a budget no run can use up; stack-nolimit runs with it off.
const UNREACHABLE_LIMIT = '1000000000';

type TargetName = 'stack' | 'stack-nolimit' | 'bare' | 'bare-auth' | 'bare-tx' | 'prisma';
type Target = { script: string; args: string[]; label: string; env?: Record<string, string> };
const TARGET_SCRIPTS: Record<TargetName, Target> = {
  stack: { script: 'servers/stack.ts', args: [], label: 'stack (apps/api)', env: { RATE_LIMIT_REQUESTS: UNREACHABLE_LIMIT } },
  'stack-nolimit': { script: 'servers/stack.ts', args: [], label: 'stack, no rate limit', env: { RATE_LIMIT_ENABLED: 'false' } },
  bare: { script: 'servers/bare.ts', args: [], label: 'bare fastify + pg' },
  'bare-auth': { script: 'servers/bare.ts', args: ['--auth'], label: 'bare + auth' },
  'bare-tx': { script: 'servers/bare.ts', args: ['--tx'], label: 'bare + BEGIN/COMMIT' },
  prisma: { script: 'servers/prisma.ts', args: [], label: 'bare fastify + prisma' },
};

// ---- configuration -------------------------------------------------------------------------


function targetsEnv(): TargetName[] {
  const raw = process.env.BENCH_TARGETS?.trim() || 'stack,bare,bare-auth';
  const names = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
  for (const name of names) if (!(name in TARGET_SCRIPTS)) throw new Error(`BENCH_TARGETS: unknown target ${JSON.stringify(name)}`);
  if (!names.includes('stack') || !names.includes('bare')) throw new Error('BENCH_TARGETS: must include stack and bare');
  return names as TargetName[];
}

const config = {
  duration: intEnv('BENCH_DURATION', 8, 1, 300),
  rounds: intEnv('BENCH_ROUNDS', 3, 1, 20),
  connections: intEnv('BENCH_CONNECTIONS', 50, 1, 1000),
  warmup: intEnv('BENCH_WARMUP', 5, 0, 120),
  targets: targetsEnv(),
};

// ---- database ------------------------------------------------------------------------------

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One statement; created_at one second apart (millisecond precision, which both sides keep).
    await client.query(
      `INSERT INTO items (title, description, is_active, created_at)
       SELECT 'Item ' || i, 'Description of item ' || i, i % 10 <> 0,
              date_trunc('milliseconds', now()) - ($1::int - i) * interval '1 second'
       FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await client.query('ANALYZE items');
  } finally {
    await client.end();
  }
}

// ---- child servers -------------------------------------------------------------------------

type Server = { name: TargetName; child: ChildProcess; url: string };

function startServer(name: TargetName, env: NodeJS.ProcessEnv): Promise<Server> {
  const { script, args, env: overrides } = TARGET_SCRIPTS[name];
  const child = fork(path.join(here, script), args, { env: { ...env, ...overrides }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name}: server did not start within ${CHILD_START_TIMEOUT_MS / 1000} s`)), CHILD_START_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      done();
      child.kill('SIGKILL');
      reject(error);
    };
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'listening') {
        done();
        child.on('error', () => {}); // a failed send is reported to its callback; the child's exit shows up as failed requests
        resolve({ name, child, url: `http://127.0.0.1:${message.port}` });
      } else if (message.type === 'failed') fail(new Error(`${name}: server failed to start:\n${message.message}`));
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`${name}: server exited during startup (code ${code}, signal ${signal})`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---- load ----------------------------------------------------------------------------------

type Round = {
  target: TargetName;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Server process CPU time per completed request, in microseconds. */
  cpuPerRequest: number;
  /** Server process CPU time over the round's wall time (1 = one core). */
  cpuCores: number;
  /** This process's (the load generator's) CPU time over the round's wall time. */
  loaderCores: number;
};

/** The child's CPU time so far, in microseconds (asked over IPC). */
function cpuOf(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.child.off('message', onMessage);
      reject(new Error(`${server.name}: no CPU usage answer`));
    }, 5_000);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== 'usage') return;
      clearTimeout(timer);
      server.child.off('message', onMessage);
      resolve(message.cpuMicros);
    };
    server.child.on('message', onMessage);
    // with a callback, a closed channel (the child is gone) is reported here, not thrown or emitted
    server.child.send({ type: 'usage' }, (error) => {
      if (!error) return;
      clearTimeout(timer);
      server.child.off('message', onMessage);
      reject(new Error(`${server.name}: server is gone (${error.message})`));
    });
  });
}

/** The bearer token every request carries; set once the stack has logged the bench user in. */
let authorization = '';

/** Registers the bench user through the stack's REST API and logs it in; returns `Bearer <token>`. */
async function login(stack: Server): Promise<string> {
  const email = 'bench@example.com';
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const registered = await fetch(`${stack.url}${apiPrefix}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, full_name: 'Bench' }),
  });
  if (registered.status !== 201) throw new Error(`stack: register answered ${registered.status}: ${await registered.text()}`);
  const loggedIn = await fetch(`${stack.url}${apiPrefix}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  if (loggedIn.status !== 200) throw new Error(`stack: login answered ${loggedIn.status}: ${await loggedIn.text()}`);
  const { access_token } = (await loggedIn.json()) as { access_token: string };
  return `Bearer ${access_token}`;
}

async function load(server: Server, seconds: number): Promise<Round> {
  const cpuBefore = await cpuOf(server);
  const loaderBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const result = await autocannon({
    url: `${server.url}${apiPrefix}${PATH}`,
    connections: config.connections,
    duration: seconds,
    pipelining: 1,
    headers: { authorization },
  });
  const wallMicros = Number(process.hrtime.bigint() - startedAt) / 1000;
  const loader = process.cpuUsage(loaderBefore);
  const cpuMicros = (await cpuOf(server)) - cpuBefore;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, (s as { count: number }).count]));
  return {
    target: server.name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpuPerRequest: result.requests.total ? cpuMicros / result.requests.total : 0,
    cpuCores: cpuMicros / wallMicros,
    loaderCores: (loader.user + loader.system) / wallMicros,
  };
}

function problemsOf(round: Round): string | undefined {
  if (!round.non2xx && !round.errors && !round.timeouts) return undefined;
  return `non-2xx ${round.non2xx}, errors ${round.errors}, timeouts ${round.timeouts}, status codes ${JSON.stringify(round.statusCodes)}`;
}

/** The same page from every target, as parsed JSON: a comparison of different answers is meaningless. */
async function checkParity(servers: Server[]): Promise<void> {
  const bodies = new Map<TargetName, unknown>();
  for (const server of servers) {
    const response = await fetch(`${server.url}${apiPrefix}${PATH}`, { headers: { authorization } });
    if (response.status !== 200) throw new Error(`${server.name}: GET ${PATH} answered ${response.status}: ${await response.text()}`);
    bodies.set(server.name, await response.json());
  }
  const stack = bodies.get('stack') as { items: unknown[]; total: number };
  if (stack.total !== ROWS || stack.items.length !== 20) throw new Error(`stack: expected 20 of ${ROWS} items, got ${stack.items.length} of ${stack.total}`);
  for (const [name, body] of bodies) {
    if (!isDeepStrictEqual(body, stack)) throw new Error(`${name}: body differs from the stack's:\n${JSON.stringify(body).slice(0, 600)}\nvs\n${JSON.stringify(stack).slice(0, 600)}`);
  }
  // the targets that check the login must really refuse a bad token
  const [head, body] = authorization.slice('Bearer '.length).split('.');
  for (const server of servers.filter((s) => s.name === 'stack' || s.name === 'stack-nolimit' || s.name === 'bare-auth')) {
    const response = await fetch(`${server.url}${apiPrefix}${PATH}`, { headers: { authorization: `Bearer ${head}.${body}.forged` } });
    await response.arrayBuffer();
    if (response.status !== 401) throw new Error(`${server.name}: a forged token got ${response.status}, not 401`);
  }
}

// ---- output --------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** a ÷ b to `digits` places, or n/a when b is 0 (autocannon's latencies are whole milliseconds). */
const ratio = (a: number, b: number, digits = 2) => (b > 0 ? fmt(a / b, digits) : 'n/a');

/** The median of some numbers (the lower middle one for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** The round with the median requests/s (the lower middle one for an even count). */
function medianRound(rounds: Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

// ---- main ----------------------------------------------------------------------------------

const settings = getSettings();
const apiPrefix = settings.API_V1_STR;
const databaseUrl = withDatabaseName(settings.databaseUrl, `pa_bench_${randomBytes(4).toString('hex')}`);
const servers: Server[] = [];
let databaseCreated = false;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(servers.map((s) => stopChild(s.child)));
    if (databaseCreated) await dropDatabase(databaseUrl).catch((error: unknown) => console.error('could not drop the bench database:', error));
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and dropping the database`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const poolSize = settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW;
  const runMinutes = Math.ceil((config.targets.length * (config.warmup + config.rounds * config.duration)) / 60);
  console.log(`items-list: GET ${apiPrefix}${PATH}, ${ROWS} rows, ${config.connections} connections, pool ${poolSize}`);
  console.log(`  warm-up ${config.warmup} s per target, then ${config.rounds} round(s) x ${config.duration} s per target, alternating`);
  console.log(`  node ${process.version}, ${os.availableParallelism()} CPUs, targets: ${config.targets.join(', ')}`);
  console.log(`  load average at start ${fmt(os.loadavg()[0]!, 2)} (other work on the machine skews requests/s)`);

  databaseCreated = await ensureDatabase(databaseUrl);
  await migrateDeploy(databaseUrl);
  await seed(databaseUrl);

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    // the children read only the environment: pass the pool settings this process resolved
    DB_POOL_SIZE: String(settings.DB_POOL_SIZE),
    DB_MAX_OVERFLOW: String(settings.DB_MAX_OVERFLOW),
    DB_POOL_TIMEOUT: String(settings.DB_POOL_TIMEOUT),
    API_V1_STR: apiPrefix,
    NODE_ENV: 'production',
    // the access token must outlive the run (its lifetime does not change the per-request work)
    ACCESS_TOKEN_EXPIRE_MINUTES: String(Math.max(settings.ACCESS_TOKEN_EXPIRE_MINUTES, runMinutes + 10)),
  };
  for (const name of config.targets) servers.push(await startServer(name, childEnv));
  authorization = await login(servers.find((s) => s.name === 'stack')!);
  await checkParity(servers);
  console.log('  every target answers 200 with the same body; the targets that check the login refuse a forged token');

  let bad = false;
  const report = (label: string, round: Round) => {
    const problems = problemsOf(round);
    console.log(`  ${label.padEnd(18)} ${round.target.padEnd(13)} ${fmt(round.rps, 1).padStart(9)} req/s  p50 ${fmt(round.p50, 2)} ms  p99 ${fmt(round.p99, 2)} ms  server CPU ${fmt(round.cpuPerRequest)} µs/req (${fmt(round.cpuCores, 2)} cores; autocannon ${fmt(round.loaderCores, 2)} cores)${problems ? `  !! ${problems}` : ''}`);
    if (problems) bad = true;
  };

  if (config.warmup > 0) {
    for (const server of servers) report('warm-up', await load(server, config.warmup));
  }
  const rounds: Round[] = [];
  for (let r = 0; r < config.rounds; r++) {
    // alternate the order so that neither target always runs first
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      const round = await load(server, config.duration);
      rounds.push(round);
      report(`round ${r + 1}/${config.rounds}`, round);
    }
  }

  // each target's median round (by requests/s); its CPU per request is the median over its rounds
  const medians = new Map(
    config.targets.map((name) => {
      const own = rounds.filter((x) => x.target === name);
      return [name, { ...medianRound(own), cpuPerRequest: median(own.map((x) => x.cpuPerRequest)) }];
    }),
  );
  const bare = medians.get('bare')!;
  const stack = medians.get('stack')!;
  console.log(`\nmedian round per target (by requests/s; CPU per request: median over the rounds):\n`);
  console.log(
    table(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'requests', 'non-2xx', 'errors'],
      config.targets.map((name) => {
        const m = medians.get(name)!;
        return [TARGET_SCRIPTS[name].label, fmt(m.rps, 1), fmt(m.p50, 2), fmt(m.p99, 2), fmt(m.cpuPerRequest), fmt(m.requests), fmt(m.non2xx), fmt(m.errors + m.timeouts)];
      }),
    ),
  );
  const throughput = bare.rps > 0 ? stack.rps / bare.rps : 0;
  const verdict = bad ? 'INVALID: requests failed' : throughput >= 0.8 ? 'met' : 'NOT met';
  console.log(
    `\nstack ÷ bare: ${fmt(throughput, 3)} of the requests/s (goal >= 0.8: ${verdict}); ` +
      `latency p50 x${ratio(stack.p50, bare.p50)}, p99 x${ratio(stack.p99, bare.p99)}; CPU per request x${ratio(stack.cpuPerRequest, bare.cpuPerRequest)}`,
  );
  const bareAuth = medians.get('bare-auth');
  if (bareAuth) {
    console.log(
      `stack ÷ bare-auth (the same SQL per request): ${ratio(stack.rps, bareAuth.rps, 3)} of the requests/s; ` +
        `latency p50 x${ratio(stack.p50, bareAuth.p50)}, p99 x${ratio(stack.p99, bareAuth.p99)}; CPU per request x${ratio(stack.cpuPerRequest, bareAuth.cpuPerRequest)}`,
    );
  }
  for (const name of ['stack-nolimit', 'bare-auth', 'bare-tx', 'prisma'] as const) {
    const extra = medians.get(name);
    if (extra) console.log(`${name} ÷ bare: ${ratio(extra.rps, bare.rps, 3)} of the requests/s, CPU per request x${ratio(extra.cpuPerRequest, bare.cpuPerRequest, 2)}`);
  }
  console.log(`load average at the end ${fmt(os.loadavg()[0]!, 2)}`);
  if (bad) {
    console.log('\n!! some requests failed (non-2xx, errors or timeouts): the figures above are not a valid measurement');
    return 1;
  }
  return 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error('items-list benchmark failed:', error);
} finally {
  await cleanup();
}
process.exit(exitCode);
