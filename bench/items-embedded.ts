// Benchmark: the items read (GET /api/v1/items?page=1&size=20 over 1,000 rows, logged in) of the
// full API (servers/stack.ts) in embedded mode beside the same API on the real servers:
//   embedded      no DATABASE_URL / POSTGRES_* / REDIS_* / TASKIQ_BROKER_URL: PGlite in a temp
//                 data dir inside the server process, no Redis (jobs in the database, run by the
//                 in-process worker; rate limits in memory);
//   real          the PostgreSQL server the settings name, and Redis (REDIS_URL);
//   real-noredis  the same PostgreSQL without Redis, to tell the database's effect from Redis's.
// Each server runs in its own child process; autocannon drives one at a time from this process,
// in alternating rounds (as items-list.ts). The rate limiter stays on with a budget no run can
// use up. Before measuring, every target must answer the same page and refuse a forged token.
//
// Prints per target (its median round by requests/s): requests/s, p50/p99 latency, the server
// process's CPU time per request, the PostgreSQL backends' CPU time per request (read from /proc
// when the server is on this machine; embedded, that work is inside the server process, so only
// server + PostgreSQL compares like with like), and the server process's RSS after start and at
// most after a round; then the ratios embedded ÷ real, embedded ÷ real-noredis, real-noredis ÷ real.
//
// Settings (environment): BENCH_DURATION (seconds per round, default 6), BENCH_ROUNDS (measured
// rounds per target, default 2), BENCH_CONNECTIONS (default 50), BENCH_WARMUP (seconds, default 3).
// A database pa_bench_<random> on the settings' PostgreSQL server and a temp data dir are created
// and removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSettings, SERVER_VARIABLES } from '@personal-automations/config';
import { openEmbeddedDatabase } from '@personal-automations/db/embedded';
import { benchDatabase } from './lib/database.ts';
import { loadSettingsEnv } from './lib/env.ts';
import { checkItemsParity, ITEMS_PATH, ITEMS_ROWS, login, seedItems } from './lib/items.ts';
import { load, problemsOf, type Round, runRounds } from './lib/load.ts';
import { type DatabaseCpuProbe, openDatabaseCpuProbe } from './lib/pg-cpu.ts';
import { fmt, mb, mediansByTarget, ratio, roundLine, table } from './lib/report.ts';
import { runBenchmark } from './lib/run.ts';
import { apiChildEnv, type Server, startServer, stopChild, usageOf } from './lib/servers.ts';

const TARGETS = ['embedded', 'real', 'real-noredis'] as const;
type TargetName = (typeof TARGETS)[number];
const LABELS: Record<TargetName, string> = {
  embedded: 'embedded (PGlite, no Redis)',
  real: 'PostgreSQL + Redis',
  'real-noredis': 'PostgreSQL, no Redis',
};
/** Any of these selects a server (settings.ts): removed from every child's environment first. */
const UNSET = new Set([...SERVER_VARIABLES, 'EMBEDDED_DATA_DIR']);
/** The rate limiter stays on (its per-request cost is part of the API) with a budget out of reach. */
const UNREACHABLE_LIMIT = '1000000000';

const config = loadSettingsEnv({ duration: 6, rounds: 2, connections: 50, warmup: 3 });
const settings = getSettings();
const apiPrefix = settings.API_V1_STR;
const database = benchDatabase(settings.databaseUrl);
const databaseUrl = database.url;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa_bench_embedded_'));
const servers: Server[] = [];
let databaseCpu: DatabaseCpuProbe | undefined;

async function cleanup(): Promise<void> {
  await Promise.all(servers.map((s) => stopChild(s.child)));
  await databaseCpu?.close().catch(() => {});
  await database.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** The embedded data dir, migrated and seeded here; closed again before the server opens it (one process per dir). */
async function prepareEmbedded(): Promise<number> {
  const started = performance.now();
  const embedded = await openEmbeddedDatabase({ dataDir });
  try {
    await seedItems(embedded.url);
  } finally {
    await embedded.close();
  }
  return performance.now() - started;
}

function childEnvs(runMinutes: number): Record<TargetName, NodeJS.ProcessEnv> {
  const base: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !UNSET.has(name)));
  Object.assign(base, apiChildEnv(settings, runMinutes), { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_REQUESTS: UNREACHABLE_LIMIT });
  return {
    embedded: { ...base, EMBEDDED_DATA_DIR: dataDir },
    real: { ...base, DATABASE_URL: databaseUrl, REDIS_URL: settings.redisUrl },
    'real-noredis': { ...base, DATABASE_URL: databaseUrl },
  };
}

const cpuOf = (r: Round) => r.cpuPerRequest + (r.dbCpuPerRequest ?? 0);

function printSummary(medians: Map<string, Round>, idleRss: Map<string, number>): void {
  const dbCpu = (r: Round) => (r.dbCpuPerRequest === undefined ? 'n/a' : fmt(r.dbCpuPerRequest));
  console.log(
    `\nmedian round per target (by requests/s; CPU per request: median over the rounds; RSS: after start, and the most after a round):\n`,
  );
  console.log(
    table(
      [
        'target',
        'req/s',
        'p50 ms',
        'p99 ms',
        'server CPU µs/req',
        'PostgreSQL µs/req',
        'total µs/req',
        'RSS idle MB',
        'RSS load MB',
        'requests',
        'failed',
      ],
      TARGETS.map((name) => {
        const m = medians.get(name)!;
        const failed = m.non2xx + m.errors + m.timeouts;
        return [
          LABELS[name],
          fmt(m.rps, 1),
          fmt(m.p50, 2),
          fmt(m.p99, 2),
          fmt(m.cpuPerRequest),
          dbCpu(m),
          fmt(cpuOf(m)),
          mb(idleRss.get(name)!),
          mb(m.rssBytes),
          fmt(m.requests),
          fmt(failed),
        ];
      }),
    ),
  );
  const compare = (label: string, a: Round, b: Round) =>
    console.log(
      `${label}: requests/s x${ratio(a.rps, b.rps, 3)}; latency p50 x${ratio(a.p50, b.p50)}, p99 x${ratio(a.p99, b.p99)}; ` +
        `server CPU per request x${ratio(a.cpuPerRequest, b.cpuPerRequest)}, server + PostgreSQL x${ratio(cpuOf(a), cpuOf(b))}; RSS under load x${ratio(a.rssBytes, b.rssBytes)}`,
    );
  const [embedded, real, noRedis] = TARGETS.map((name) => medians.get(name)!) as [Round, Round, Round];
  console.log('');
  compare('embedded ÷ real', embedded, real);
  compare('embedded ÷ real-noredis', embedded, noRedis);
  compare('real-noredis ÷ real', noRedis, real);
}

async function main(): Promise<number> {
  const runMinutes = Math.ceil((TARGETS.length * (config.warmup + config.rounds * config.duration)) / 60);
  const server = new URL(databaseUrl);
  console.log(`items-embedded: GET ${apiPrefix}${ITEMS_PATH}, ${ITEMS_ROWS} rows, ${config.connections} connections`);
  console.log(`  warm-up ${config.warmup} s per target, then ${config.rounds} round(s) x ${config.duration} s per target, alternating`);
  console.log(
    `  real: PostgreSQL ${server.host} (pool ${settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW}), Redis ${new URL(settings.redisUrl).host}; embedded: PGlite in ${dataDir} (one connection)`,
  );
  console.log(
    `  node ${process.version}, ${os.availableParallelism()} CPUs, load average at start ${fmt(os.loadavg()[0]!, 2)} (other work on the machine skews requests/s)`,
  );

  await database.create();
  await seedItems(databaseUrl);
  console.log(`  embedded data dir created, migrated and seeded in ${fmt(await prepareEmbedded())} ms`);
  databaseCpu = await openDatabaseCpuProbe(databaseUrl);
  if (!databaseCpu) console.log('  PostgreSQL is not on this machine (or its /proc is unreadable): its CPU time is not counted');

  const envs = childEnvs(runMinutes);
  const startTimes: string[] = [];
  for (const name of TARGETS) {
    const started = performance.now();
    servers.push(await startServer(name, { script: 'servers/stack.ts' }, envs[name]));
    startTimes.push(`${name} ${fmt(performance.now() - started)} ms`);
  }
  console.log(`  servers started (fork to listening): ${startTimes.join(', ')}`);
  const serverOf = (name: TargetName) => servers.find((s) => s.name === name)!;
  // real and real-noredis share the PostgreSQL database (one login); the embedded one has its own
  const realAuthorization = await login(serverOf('real'), apiPrefix);
  const authorization: Record<TargetName, string> = {
    embedded: await login(serverOf('embedded'), apiPrefix),
    real: realAuthorization,
    'real-noredis': realAuthorization,
  };
  const byReference: TargetName[] = ['real', 'real-noredis', 'embedded'];
  await checkItemsParity(
    byReference.map((name) => ({ server: serverOf(name), authorization: authorization[name], checksLogin: true })),
    apiPrefix,
  );
  console.log('  every target answers 200 with the same body and refuses a forged token');
  const idleRss = new Map<string, number>();
  for (const s of servers) idleRss.set(s.name, (await usageOf(s)).rssBytes);

  let bad = false;
  const rounds = await runRounds(
    servers,
    config,
    (s, seconds) =>
      load(s, seconds, {
        path: `${apiPrefix}${ITEMS_PATH}`,
        connections: config.connections,
        authorization: authorization[s.name as TargetName],
        ...(databaseCpu && s.name !== 'embedded' ? { database: databaseCpu } : {}),
      }),
    (label, round) => {
      const postgres = round.dbCpuPerRequest === undefined ? '' : `  + PostgreSQL ${fmt(round.dbCpuPerRequest)} µs/req`;
      console.log(roundLine(label, round, `${postgres}  RSS ${mb(round.rssBytes)} MB`));
      if (problemsOf(round)) bad = true;
    },
  );

  printSummary(mediansByTarget([...TARGETS], rounds), idleRss);
  console.log(`load average at the end ${fmt(os.loadavg()[0]!, 2)}`);
  if (bad) {
    console.log('\n!! some requests failed (non-2xx, errors or timeouts): the figures above are not a valid measurement');
    return 1;
  }
  return 0;
}

await runBenchmark('items-embedded', main, cleanup, 'stopping the servers, dropping the database and removing the data dir');
