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
//   BENCH_BATCH_PAGE_SIZE  page size of each call of the tRPC batch target (default 20, the goal's;
//                      1 leaves mostly each call's own cost, apart from its rows)
//   BENCH_TARGETS      comma-separated, from stack,stack-nolimit,stack-nometrics,bare,bare-auth,bare-tx,prisma
//                      (default stack,bare,bare-auth). Diagnostic extras: stack-nolimit is the
//                      stack with its rate limiter off; stack-nometrics with METRICS_ENABLED=false; bare-auth is the bare route
//                      running the same SQL as the stack per request (verify the HS256 access
//                      token, look up its session and user, then the two items queries inside
//                      BEGIN/COMMIT; not the rate limiter's Redis counter); bare-tx is the bare route with only the BEGIN/COMMIT;
//                      prisma is a bare Fastify route over the project's Prisma client (the same
//                      queries as ItemService.list), without the API's layers and auth
// The database server is the one the settings name (DATABASE_URL or POSTGRES_*); a fresh
// database pa_bench_<random> is created there and dropped at the end.
import os from 'node:os';
import { getSettings } from '@personal-automations/config';
import { benchDatabase } from './lib/database.ts';
import { intEnv, loadSettingsEnv } from './lib/env.ts';
import { checkItemsParity, ITEMS_PATH, ITEMS_ROWS, login, seedItems } from './lib/items.ts';
import { load, problemsOf, type Round, runRounds } from './lib/load.ts';
import { fmt, mediansByTarget, ratio, roundLine, table } from './lib/report.ts';
import { runBenchmark } from './lib/run.ts';
import { apiChildEnv, type Server, type ServerScript, startServer, stopChild } from './lib/servers.ts';
import { GOAL_PAGE_SIZE, measureBatch, msPerRequest } from './lib/trpc-batch.ts';

// The API's rate limit (RATE_LIMIT_REQUESTS per RATE_LIMIT_PERIOD per user) would answer nearly
// every request of a load test with 429: the stack runs with the limiter on (its per-request
// cost is part of the stack) and a budget no run can use up; stack-nolimit runs with it off.
const UNREACHABLE_LIMIT = '1000000000';

type TargetName = 'stack' | 'stack-nolimit' | 'stack-nometrics' | 'bare' | 'bare-auth' | 'bare-tx' | 'prisma';
const TARGET_SCRIPTS: Record<TargetName, ServerScript & { label: string }> = {
  stack: { script: 'servers/stack.ts', label: 'stack (apps/api)', env: { RATE_LIMIT_REQUESTS: UNREACHABLE_LIMIT, LOG_LEVEL: 'info' } },
  'stack-nolimit': { script: 'servers/stack.ts', label: 'stack, no rate limit', env: { RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'info' } },
  'stack-nometrics': {
    script: 'servers/stack.ts',
    label: 'stack, metrics off',
    env: { RATE_LIMIT_REQUESTS: UNREACHABLE_LIMIT, LOG_LEVEL: 'info', METRICS_ENABLED: 'false' },
  },
  bare: { script: 'servers/bare.ts', label: 'bare fastify + pg' },
  'bare-auth': { script: 'servers/bare.ts', args: ['--auth'], label: 'bare + auth' },
  'bare-tx': { script: 'servers/bare.ts', args: ['--tx'], label: 'bare + BEGIN/COMMIT' },
  prisma: { script: 'servers/prisma.ts', label: 'bare fastify + prisma' },
};
/** The targets that check the login: a forged token must get 401. */
const CHECKS_LOGIN = new Set<TargetName>(['stack', 'stack-nolimit', 'stack-nometrics', 'bare-auth']);

function targetsEnv(): TargetName[] {
  const raw = process.env.BENCH_TARGETS?.trim() || 'stack,bare,bare-auth';
  const names = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  for (const name of names) if (!(name in TARGET_SCRIPTS)) throw new Error(`BENCH_TARGETS: unknown target ${JSON.stringify(name)}`);
  if (!names.includes('stack') || !names.includes('bare')) throw new Error('BENCH_TARGETS: must include stack and bare');
  return names as TargetName[];
}

const config = {
  ...loadSettingsEnv({ duration: 8, rounds: 3, connections: 50, warmup: 5 }),
  targets: targetsEnv(),
  // the tRPC batch target's page size: 1 leaves mostly what each call costs apart from its rows
  batchPageSize: intEnv('BENCH_BATCH_PAGE_SIZE', GOAL_PAGE_SIZE, 1, 100),
};

// ---- main ----------------------------------------------------------------------------------

const settings = getSettings();
const apiPrefix = settings.API_V1_STR;
const database = benchDatabase(settings.databaseUrl);
const databaseUrl = database.url;
const servers: Server[] = [];

async function cleanup(): Promise<void> {
  await Promise.all(servers.map((s) => stopChild(s.child)));
  await database.drop();
}

async function main(): Promise<number> {
  const poolSize = settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW;
  const runMinutes = Math.ceil((config.targets.length * (config.warmup + config.rounds * config.duration)) / 60);
  console.log(`items-list: GET ${apiPrefix}${ITEMS_PATH}, ${ITEMS_ROWS} rows, ${config.connections} connections, pool ${poolSize}`);
  console.log(`  warm-up ${config.warmup} s per target, then ${config.rounds} round(s) x ${config.duration} s per target, alternating`);
  console.log(`  node ${process.version}, ${os.availableParallelism()} CPUs, targets: ${config.targets.join(', ')}`);
  console.log(`  load average at start ${fmt(os.loadavg()[0]!, 2)} (other work on the machine skews requests/s)`);

  await database.create();
  await seedItems(databaseUrl);

  // the stack on PostgreSQL and Redis, as deployed (items-embedded.ts compares the other setups)
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: settings.redisUrl,
    ...apiChildEnv(settings, runMinutes),
  };
  for (const name of config.targets) servers.push(await startServer(name, TARGET_SCRIPTS[name], childEnv));
  // every target shares the one database, so the stack's login serves them all (the bare routes other than bare-auth ignore it)
  const authorization = await login(servers.find((s) => s.name === 'stack')!, apiPrefix);
  const byStackFirst = [...servers].sort((a, b) => Number(b.name === 'stack') - Number(a.name === 'stack'));
  await checkItemsParity(
    byStackFirst.map((server) => ({ server, authorization, checksLogin: CHECKS_LOGIN.has(server.name as TargetName) })),
    apiPrefix,
  );
  console.log('  every target answers 200 with the same body; the targets that check the login refuse a forged token');

  let bad = false;
  const report = (label: string, round: Round) => {
    console.log(roundLine(label, round));
    if (problemsOf(round)) bad = true;
  };
  const rounds = await runRounds(
    servers,
    config,
    (server, seconds) => load(server, seconds, { path: `${apiPrefix}${ITEMS_PATH}`, connections: config.connections, authorization }),
    report,
  );

  // each target's median round (by requests/s); its CPU per request is the median over its rounds
  const medians = mediansByTarget(config.targets, rounds);
  const bare = medians.get('bare')!;
  const stack = medians.get('stack')!;
  console.log(`\nmedian round per target (by requests/s; CPU per request: median over the rounds):\n`);
  console.log(
    table(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'requests', 'non-2xx', 'errors'],
      config.targets.map((name) => {
        const m = medians.get(name)!;
        return [
          TARGET_SCRIPTS[name].label,
          fmt(m.rps, 1),
          fmt(m.p50, 2),
          fmt(m.p99, 2),
          fmt(m.cpuPerRequest),
          fmt(m.requests),
          fmt(m.non2xx),
          fmt(m.errors + m.timeouts),
        ];
      }),
    ),
  );
  reportGoals(stack, bare, medians.get('bare-auth'), bad);
  for (const name of ['stack-nolimit', 'stack-nometrics', 'bare-auth', 'bare-tx', 'prisma'] as const) {
    const extra = medians.get(name);
    if (extra)
      console.log(
        `${name} ÷ bare: ${ratio(extra.rps, bare.rps, 3)} of the requests/s, CPU per request x${ratio(extra.cpuPerRequest, bare.cpuPerRequest, 2)}`,
      );
  }
  const stackServer = servers.find((s) => s.name === 'stack')!;
  const pageSize = config.batchPageSize;
  const batch = await measureBatch(
    stackServer,
    { seconds: config.duration, rounds: config.rounds, warmup: config.warmup, pageSize },
    authorization,
  );
  if (batch.pairs.some((pair) => problemsOf(pair.single) || problemsOf(pair.batch))) bad = true;
  const figures = (round: Round) => `${fmt(msPerRequest(round), 3)} ms (${fmt(round.cpuPerRequest)} µs server CPU)`;
  console.log(
    `\ntRPC, one connection, one request at a time: items.list alone against a batch of 10 (pages 1-10, size ${pageSize}), alternating:`,
  );
  for (const [i, pair] of batch.pairs.entries())
    console.log(`  pair ${i + 1}: one call ${figures(pair.single)}, the batch ${figures(pair.batch)}: x${fmt(pair.ratio, 2)}`);
  console.log(
    `the batch ÷ one call, median of the pairs: x${fmt(batch.ratio, 2)} ` +
      (pageSize === GOAL_PAGE_SIZE
        ? `(goal <= 1.5: ${batch.ratio <= 1.5 ? 'met' : 'NOT met'})`
        : `(the goal is judged at size ${GOAL_PAGE_SIZE}; this is a diagnostic run)`),
  );
  console.log(`load average at the end ${fmt(os.loadavg()[0]!, 2)}`);
  if (bad) {
    console.log('\n!! some requests failed (non-2xx, errors or timeouts): the figures above are not a valid measurement');
    return 1;
  }
  return 0;
}

/** The goals for the stack, each against the target it names, in one run. */
function reportGoals(stack: Round, bare: Round, bareAuth: Round | undefined, bad: boolean): void {
  const verdict = (met: boolean) => (bad ? 'INVALID: requests failed' : met ? 'met' : 'NOT met');
  console.log(
    `\nstack ÷ bare: ${ratio(stack.rps, bare.rps, 3)} of the requests/s (goal >= 0.8: ${verdict(stack.rps >= 0.8 * bare.rps)}); ` +
      `latency p50 x${ratio(stack.p50, bare.p50)}, p99 x${ratio(stack.p99, bare.p99)}; ` +
      `CPU per request x${ratio(stack.cpuPerRequest, bare.cpuPerRequest)} (goal <= 1.5: ${verdict(stack.cpuPerRequest <= 1.5 * bare.cpuPerRequest)})`,
  );
  if (!bareAuth) return;
  console.log(
    `stack ÷ bare-auth (the same SQL per request): ${ratio(stack.rps, bareAuth.rps, 3)} of the requests/s (goal >= 1.0: ${verdict(stack.rps >= bareAuth.rps)}); ` +
      `latency p50 x${ratio(stack.p50, bareAuth.p50)}, p99 x${ratio(stack.p99, bareAuth.p99)} (goal <= 1.0: ${verdict(stack.p99 <= bareAuth.p99)}); ` +
      `CPU per request x${ratio(stack.cpuPerRequest, bareAuth.cpuPerRequest)}`,
  );
}

await runBenchmark('items-list', main, cleanup, 'stopping the servers and dropping the database');
