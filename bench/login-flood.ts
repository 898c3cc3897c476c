// Benchmark: an authed read's latency with and without a login flood beside it. Each argon2
// verification holds a libuv thread and tens of milliseconds of CPU; the API runs at most
// PASSWORD_HASH_CONCURRENCY of them at once (the rest wait, then get 503), so a flood of wrong
// passwords must not stall the other requests. Two API processes are measured, one after the
// other: "gated" with the default concurrency (2) and "ungated" with a concurrency no flood
// reaches (64, and a queue timeout of 60 s), which is how the API ran before the gate.
// For each: GET /api/v1/items?page=1&size=20 alone, then the same read while the flood runs
// (form logins with a wrong password from FLOOD_CONNECTIONS connections). The load generators
// (autocannon) run in this process, the API in its own; the rate limits and the per-account
// login throttle are set out of reach, so that every login of the flood is really checked.
//
// Settings (environment): BENCH_DURATION (seconds per phase, default 10), BENCH_CONNECTIONS
// (read connections, default 10), BENCH_WARMUP (seconds, default 3), FLOOD_CONNECTIONS (default 50).
// The database server is the one the settings name; a fresh database pa_bench_<random> is
// created there and dropped at the end.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import autocannon from 'autocannon';
import { getSettings } from '@personal-automations/config';
import { benchDatabase } from './lib/database.ts';
import { intEnv, loadSettingsEnv } from './lib/env.ts';
import { ITEMS_PATH, login, seedItems } from './lib/items.ts';
import { load, problemsOf, type Round } from './lib/load.ts';
import { fmt, ratio, table } from './lib/report.ts';
import { runBenchmark } from './lib/run.ts';
import { apiChildEnv, type Server, startServer, stopChild } from './lib/servers.ts';

const OUT_OF_REACH = '1000000000';
const config = {
  ...loadSettingsEnv({ duration: 10, rounds: 1, connections: 10, warmup: 3 }),
  flood: intEnv('FLOOD_CONNECTIONS', 50, 1, 1000),
};
const TARGETS = {
  gated: { label: 'gated (PASSWORD_HASH_CONCURRENCY=2)', env: {} },
  ungated: { label: 'ungated (64, 60 s queue)', env: { PASSWORD_HASH_CONCURRENCY: '64', PASSWORD_HASH_QUEUE_TIMEOUT_SECONDS: '60' } },
} as const;
type TargetName = keyof typeof TARGETS;

const settings = getSettings();
const database = benchDatabase(settings.databaseUrl);
/** The API process being measured (one at a time), stopped at the end whatever happens. */
let running: Server | undefined;
const apiPrefix = settings.API_V1_STR;

type Flood = { requests: number; statusCodes: Record<string, number>; errors: number };

/** Wrong-password form logins from `connections` connections for `seconds`. */
async function flood(server: Server, seconds: number, connections: number): Promise<Flood> {
  const result = await autocannon({
    url: `${server.url}${apiPrefix}/auth/login`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'flood@example.com', password: 'not the password' }).toString(),
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, (s as { count: number }).count]),
  );
  return { requests: result.requests.total, statusCodes, errors: result.errors + result.timeouts };
}

type Measured = { alone: Round; flooded: Round; flood: Flood };

async function measure(server: Server, authorization: string): Promise<Measured> {
  const read = (seconds: number) =>
    load(server, seconds, { path: `${apiPrefix}${ITEMS_PATH}`, connections: config.connections, authorization });
  if (config.warmup > 0) await read(config.warmup);
  const alone = await read(config.duration);
  const [flooded, floodResult] = await Promise.all([read(config.duration), flood(server, config.duration, config.flood)]);
  return { alone, flooded, flood: floodResult };
}

async function main(): Promise<number> {
  const runMinutes = Math.ceil((2 * (config.warmup + 2 * config.duration)) / 60);
  console.log(
    `login-flood: GET ${apiPrefix}${ITEMS_PATH} (${config.connections} connections) alone, then beside ${config.flood} connections of wrong-password logins`,
  );
  console.log(
    `  ${config.duration} s per phase, warm-up ${config.warmup} s; node ${process.version}, ${os.availableParallelism()} CPUs, load average ${fmt(os.loadavg()[0]!, 2)}`,
  );

  await database.create();
  await seedItems(database.url);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: settings.redisUrl,
    ...apiChildEnv(settings, runMinutes),
    PROJECT_NAME: `login-flood-${randomBytes(4).toString('hex')}`,
    RATE_LIMIT_REQUESTS: OUT_OF_REACH,
    RATE_LIMIT_AUTH_REQUESTS: OUT_OF_REACH,
    LOGIN_MAX_FAILURES: OUT_OF_REACH,
  };

  const results = new Map<TargetName, Measured>();
  let bad = false;
  for (const name of Object.keys(TARGETS) as TargetName[]) {
    const server = await startServer(name, { script: 'servers/stack.ts', env: TARGETS[name].env }, childEnv);
    running = server;
    const measured = await measure(server, await login(server, apiPrefix, `bench-${name}@example.com`));
    results.set(name, measured);
    for (const round of [measured.alone, measured.flooded]) if (problemsOf(round)) bad = true;
    await stopChild(server.child);
    running = undefined;
  }

  console.log(
    `\n${table(
      ['API', 'read alone p99 ms', 'read in flood p99 ms', 'p99 x', 'read req/s alone', 'in flood', 'logins answered', 'of which 503'],
      [...results].map(([name, { alone, flooded, flood: f }]) => [
        TARGETS[name].label,
        fmt(alone.p99, 1),
        fmt(flooded.p99, 1),
        ratio(flooded.p99, alone.p99),
        fmt(alone.rps, 1),
        fmt(flooded.rps, 1),
        fmt(f.requests),
        fmt(f.statusCodes['503'] ?? 0),
      ]),
    )}`,
  );
  for (const [name, { flood: f }] of results)
    console.log(`  ${name} flood answers: ${JSON.stringify(f.statusCodes)}, errors/timeouts ${f.errors}`);
  if (bad) {
    console.log('\n!! some reads failed (non-2xx, errors or timeouts): the figures above are not a valid measurement');
    return 1;
  }
  return 0;
}

await runBenchmark(
  'login-flood',
  main,
  async () => {
    if (running) await stopChild(running.child);
    await database.drop();
  },
  'stopping the server and dropping the database',
);
