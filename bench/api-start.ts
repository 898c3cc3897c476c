// Benchmark: how long the API process takes from its start to its first 200 on /api/v1/health,
// and its resident memory once idle, on PostgreSQL + Redis (the deployed setup). Each run starts
// `node apps/api/src/start.js` (the API's entry point) as its own process (as a container would), polls the health route,
// then waits a moment and reads the process's RSS from /proc; the median of the runs is printed.
// The process runs as deployed: ENVIRONMENT=production (no docs UI, a secret key of its own, a
// named CORS origin), logging at info.
//
// Settings (environment): BENCH_RUNS (default 5), BENCH_IDLE_MS (how long after the first 200 the
// RSS is read, default 2000), BENCH_API_NODE_OPTIONS (Node/V8 flags for the API process only, as
// its NODE_OPTIONS after the parent's own, if any; default none). The rest of the environment is
// the API's too: NODE_COMPILE_CACHE and MALLOC_ARENA_MAX, which the image sets, can be given here
// (the first line says what the API got). start.js keeps Node's compile cache in the OS temp folder
// when NODE_COMPILE_CACHE is unset, so a first run may be slower (and larger) than the rest.
// The database server is the one the settings name; a fresh database pa_bench_<random> is
// created and migrated first (its migration is not part of the start), and dropped at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { getSettings } from '@personal-automations/config';
import { benchDatabase } from './lib/database.ts';
import { intEnv } from './lib/env.ts';
import { fmt, median, table } from './lib/report.ts';
import { runBenchmark } from './lib/run.ts';

const API_MAIN = fileURLToPath(new URL('../apps/api/src/start.js', import.meta.url));
const config = {
  runs: intEnv('BENCH_RUNS', 5, 1, 50),
  idleMs: intEnv('BENCH_IDLE_MS', 2000, 0, 60_000),
  apiNodeOptions: process.env.BENCH_API_NODE_OPTIONS?.trim() ?? '',
};
/** The API child's NODE_OPTIONS: the parent's, then BENCH_API_NODE_OPTIONS (a later V8 flag wins). */
const apiNodeOptions = [process.env.NODE_OPTIONS?.trim(), config.apiNodeOptions].filter(Boolean).join(' ');
const settings = getSettings();
const database = benchDatabase(settings.databaseUrl);
let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The process's resident set size, from /proc (what a container's memory limit counts). */
function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const PRODUCTION_SECRET_KEY = randomBytes(32).toString('hex');

type Run = { firstOkMs: number; rssBytes: number };

async function oneRun(): Promise<Run> {
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: settings.redisUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    ENVIRONMENT: 'production',
    SECRET_KEY: PRODUCTION_SECRET_KEY,
    BACKEND_CORS_ORIGINS: 'https://app.example.com',
    FRONTEND_URL: 'https://app.example.com',
    ...(apiNodeOptions ? { NODE_OPTIONS: apiNodeOptions } : {}),
  };
  const startedAt = performance.now();
  child = spawn(process.execPath, [API_MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  let firstOkMs = 0;
  while (!firstOkMs) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before answering`);
    if (performance.now() - startedAt > 60_000) throw new Error('no 200 within 60 s');
    try {
      const res = await fetch(`http://127.0.0.1:${port}${settings.API_V1_STR}/health`);
      if (res.ok) firstOkMs = performance.now() - startedAt;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, config.idleMs));
  const rss = rssBytes(child.pid!);
  child.kill('SIGTERM');
  await exited;
  child = undefined;
  return { firstOkMs, rssBytes: rss };
}

async function main(): Promise<number> {
  console.log(
    `api-start: ${config.runs} starts of apps/api/src/start.js on PostgreSQL + Redis; RSS read ${config.idleMs} ms after the first 200`,
  );
  console.log(`  node ${process.version}, ${os.availableParallelism()} CPUs, load average ${fmt(os.loadavg()[0]!, 2)}`);
  console.log(
    `  API NODE_OPTIONS: ${apiNodeOptions || '(none)'}; NODE_COMPILE_CACHE: ${process.env.NODE_COMPILE_CACHE || '(unset)'}; ` +
      `MALLOC_ARENA_MAX: ${process.env.MALLOC_ARENA_MAX || '(unset)'}`,
  );
  await database.create();
  const runs: Run[] = [];
  for (let i = 0; i < config.runs; i++) {
    const run = await oneRun();
    runs.push(run);
    console.log(`  run ${i + 1}: first 200 after ${fmt(run.firstOkMs)} ms, idle RSS ${fmt(run.rssBytes / 2 ** 20, 1)} MiB`);
  }
  const start = median(runs.map((r) => r.firstOkMs));
  const rss = median(runs.map((r) => r.rssBytes)) / 2 ** 20;
  console.log(
    `\n${table(
      [`median of ${runs.length}`, 'value', 'goal'],
      [
        ['start to first 200', `${fmt(start)} ms`, `<= 1,000 ms: ${start <= 1000 ? 'met' : 'NOT met'}`],
        ['idle RSS', `${fmt(rss, 1)} MiB`, `<= 150 MB (143 MiB): ${rss * 2 ** 20 <= 150e6 ? 'met' : 'NOT met'}`],
      ],
    )}`,
  );
  return 0;
}

await runBenchmark(
  'api-start',
  main,
  async () => {
    child?.kill('SIGKILL');
    await database.drop();
  },
  'stopping the API and dropping the database',
);
