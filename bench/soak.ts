// Benchmark: a mixed soak against one API process on PostgreSQL + Redis with the real worker
// process: readers on GET /api/v1/items?page=1&size=20, writers creating items (each delivered
// by the worker to a webhook pointing at a receiver on 127.0.0.1 in this process), and agent
// WebSockets running turns back to back against the fake model (agent/model.ts). The load
// generator (soak/load.ts), the model, the API (soak/api.ts) and the worker each run in a process
// of their own. Every BENCH_INTERVAL seconds it prints the API's RSS, V8 heap used/total,
// external and array-buffer memory (process.memoryUsage(), no forced GC), its event-loop lag p99
// over the interval, the worker's RSS, and the rates of reads, writes, turns and deliveries; at
// the end the totals, whether each process's RSS stayed within ±5 % of its mean over the last
// half of the load, and the errors by kind. Any error, or an item not delivered exactly once,
// makes the run exit 1.
//
// Settings (environment):
//   BENCH_DURATION           seconds of load (default 240)
//   BENCH_INTERVAL           seconds between two printed samples (default 20)
//   BENCH_READERS            clients reading the items page (default 20)
//   BENCH_WRITERS            clients creating items (default 2)
//   BENCH_AGENTS             agent WebSockets running turns (default 4)
//   BENCH_TOKENS             tokens per fake-model answer (default 10)
//   BENCH_TOKEN_INTERVAL_MS  pause between two tokens of an answer (default 20)
//   BENCH_API_NODE_OPTIONS   Node/V8 flags for the API process only, as its NODE_OPTIONS (after the
//                            parent's own, if any), e.g. --max-semi-space-size=8 (default none)
//   BENCH_WORKER_NODE_OPTIONS the same for the worker process (default none)
//   BENCH_HEAP_SNAPSHOTS     a directory: heap snapshots of the API at idle, half way and at the
//                            end of the load are written there (default none: no snapshot)
// A fresh database pa_bench_<random> and BullMQ queue prefix are created and removed at the end.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSettings } from '@personal-automations/config';
import { createPrismaClient } from '@personal-automations/db';
import type { ModelMessage } from './agent/protocol.ts';
import { benchDatabase } from './lib/database.ts';
import { intEnv } from './lib/env.ts';
import { ask, forkChild } from './lib/ipc.ts';
import { login, seedItems } from './lib/items.ts';
import { createReceiver } from './lib/receiver.ts';
import { fmt, mb, table } from './lib/report.ts';
import { runBenchmark } from './lib/run.ts';
import { apiChildEnv, type Server, startServer, stopChild } from './lib/servers.ts';
import { type BenchWorker, startWorker } from './lib/webhook-worker.ts';
import { flatnessLine, type HeapSnapshots, heapSnapshots, type RssPoint } from './soak/memory.ts';
import type { Counts, LoadMessage, StatsMessage } from './soak/protocol.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRAIN_TIMEOUT_MS = 60_000;
/** The API's per-user limits (requests, agent turns a minute) stay on, with a budget no run uses up. */
const UNREACHABLE = '1000000000';
const config = {
  duration: intEnv('BENCH_DURATION', 240, 1, 86_400),
  interval: intEnv('BENCH_INTERVAL', 20, 1, 3600),
  readers: intEnv('BENCH_READERS', 20, 0, 1000),
  writers: intEnv('BENCH_WRITERS', 2, 0, 1000),
  agents: intEnv('BENCH_AGENTS', 4, 0, 1000),
  tokens: intEnv('BENCH_TOKENS', 10, 1, 10_000),
  tokenIntervalMs: intEnv('BENCH_TOKEN_INTERVAL_MS', 20, 0, 1000),
  apiNodeOptions: process.env.BENCH_API_NODE_OPTIONS?.trim() ?? '',
  workerNodeOptions: process.env.BENCH_WORKER_NODE_OPTIONS?.trim() ?? '',
  heapSnapshots: process.env.BENCH_HEAP_SNAPSHOTS?.trim() ?? '',
};
/** A child's NODE_OPTIONS: the parent's, then the benchmark's setting for it (a later V8 flag wins). */
const childNodeOptions = (own: string) => [process.env.NODE_OPTIONS?.trim(), own].filter(Boolean).join(' ');
const apiNodeOptions = childNodeOptions(config.apiNodeOptions);
const workerNodeOptions = childNodeOptions(config.workerNodeOptions);
const settings = getSettings();
const apiPrefix = settings.API_V1_STR;
const database = benchDatabase(settings.databaseUrl);
const receiver = createReceiver();
const children: ChildProcess[] = [];
let api: Server | undefined;
let worker: BenchWorker | undefined;

type Stack = { api: Server; worker: BenchWorker; load: ChildProcess; model: ChildProcess };

/** The fake model, the API and the worker on the fresh database, a logged-in user with a webhook, and the load generator, ready. */
async function startStack(): Promise<Stack> {
  const queuePrefix = `pa_bench_${randomBytes(4).toString('hex')}`;
  const tokens = { BENCH_TOKENS: String(config.tokens), BENCH_TOKEN_INTERVAL_MS: String(config.tokenIntervalMs) };
  const model = forkChild<ModelMessage>(path.join(here, 'agent/model.ts'), { ...process.env, ...tokens }, (m) => m.type === 'ready');
  children.push(model.child);
  const { baseUrl } = (await model.started) as Extract<ModelMessage, { type: 'ready' }>;
  const env = { ...process.env, DATABASE_URL: database.url, REDIS_URL: settings.redisUrl, JOB_QUEUE_PREFIX: queuePrefix };
  api = await startServer(
    'api',
    {
      script: 'soak/api.ts',
      env: {
        LOG_LEVEL: 'info',
        RATE_LIMIT_REQUESTS: UNREACHABLE,
        AGENT_TURNS_PER_MINUTE: UNREACHABLE,
        AGENT_MAX_SOCKETS_PER_USER: String(Math.max(5, config.agents)),
        OPENAI_BASE_URL: baseUrl,
        OPENAI_API_KEY: 'test-openai-key',
        ...(apiNodeOptions ? { NODE_OPTIONS: apiNodeOptions } : {}),
      },
    },
    { ...env, ...apiChildEnv(settings, Math.ceil(config.duration / 60)) },
  );
  worker = startWorker('redis', settings, {
    DATABASE_URL: database.url,
    JOB_QUEUE_PREFIX: queuePrefix,
    METRICS_PORT: '0',
    ...(workerNodeOptions ? { NODE_OPTIONS: workerNodeOptions } : {}),
  });
  const authorization = await login(api, apiPrefix);
  await subscribe(await receiver.listen());
  const load = forkChild<LoadMessage>(
    path.join(here, 'soak/load.ts'),
    {
      ...process.env,
      ...tokens,
      SOAK_API_URL: `${api.url}${apiPrefix}`,
      SOAK_AUTHORIZATION: authorization,
      SOAK_WS_URL: `${api.url.replace('http', 'ws')}${apiPrefix}/ws/agent?token=${authorization.slice('Bearer '.length)}`,
      SOAK_READERS: String(config.readers),
      SOAK_WRITERS: String(config.writers),
      SOAK_AGENTS: String(config.agents),
    },
    (m) => m.type === 'ready',
  );
  children.push(load.child);
  await load.started;
  return { api, worker, load: load.child, model: model.child };
}

/** The bench user's webhook on item.created, pointing at the receiver. */
async function subscribe(url: string): Promise<void> {
  const db = createPrismaClient({ url: database.url });
  try {
    const user = await db.user.findUniqueOrThrow({ where: { email: 'bench@example.com' } });
    await db.webhook.create({
      data: { userId: user.id, name: 'soak', url, events: ['item.created'], secret: randomBytes(32).toString('base64url') },
    });
  } finally {
    await db.$disconnect();
  }
}

const deliveries = () => [...receiver.received.keys()].filter((k) => k.startsWith('soak-')).length;
const stats = (stack: Stack) => ask<StatsMessage>(stack.api.child, { type: 'stats' }, 'stats');

type Sample = { at: number; reads: number; writes: number; turns: number; deliveries: number };
const HEADERS = [
  't s',
  'RSS MiB',
  'heap used MiB',
  'heap total MiB',
  'external MiB',
  'array buf MiB',
  'lag p99 ms',
  'worker RSS MiB',
  'reads/s',
  'writes/s',
  'turns/s',
  'deliveries/s',
];
const widths = HEADERS.map((h) => Math.max(h.length, 8));
const row = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');

/** The RSS of the API and of the worker at each sample during the load, for the flatness check. */
const rssPoints = { api: [] as RssPoint[], worker: [] as RssPoint[] };

/**
 * One printed line: the API's memory now and lag over the interval, the worker's RSS, and the
 * rates since `last`; `loadStartedAt` (once the load runs) records the RSS for the check.
 */
async function sampleLine(stack: Stack, last: Sample, startedAt: number, loadStartedAt?: number): Promise<Sample> {
  const [s, c, workerRss] = await Promise.all([
    stats(stack),
    ask<Extract<LoadMessage, { type: 'counts' }>>(stack.load, { type: 'counts' }, 'counts'),
    stack.worker.rssBytes(),
  ]);
  const at = performance.now();
  const next: Sample = { at, reads: c.reads, writes: c.writes, turns: c.turns, deliveries: deliveries() };
  const rate = (key: Exclude<keyof Sample, 'at'>) => fmt((next[key] - last[key]) / ((at - last.at) / 1000), 1);
  const memory = [s.rss, s.heapUsed, s.heapTotal, s.external, s.arrayBuffers].map(mb);
  const cells = [fmt(s.lagP99Ms, 1), Number.isNaN(workerRss) ? 'n/a' : mb(workerRss)];
  console.log(row([fmt((at - startedAt) / 1000), ...memory, ...cells, rate('reads'), rate('writes'), rate('turns'), rate('deliveries')]));
  if (loadStartedAt !== undefined) {
    const t = (at - loadStartedAt) / 1000;
    rssPoints.api.push({ t, rss: s.rss });
    rssPoints.worker.push({ t, rss: workerRss });
  }
  return next;
}

/**
 * The load for config.duration seconds, a line per interval (the first at idle, before the load);
 * with BENCH_HEAP_SNAPSHOTS, snapshots of the API at idle, after the first sample past half way
 * and after the last one (the load still running).
 */
async function soak(stack: Stack, snapshots: HeapSnapshots | undefined): Promise<void> {
  console.log(row(HEADERS));
  const startedAt = performance.now();
  let last = await sampleLine(stack, { at: startedAt - 1, reads: 0, writes: 0, turns: 0, deliveries: 0 }, startedAt);
  await snapshots?.take(stack.api.child, 'idle');
  stack.load.send({ type: 'start' });
  const loadStartedAt = performance.now();
  last.at = loadStartedAt;
  const endAt = loadStartedAt + config.duration * 1000;
  let halfTaken = false;
  while (last.at < endAt - 1) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(config.interval * 1000, endAt - performance.now())));
    last = await sampleLine(stack, last, startedAt, loadStartedAt);
    if (snapshots && !halfTaken && last.at >= loadStartedAt + (config.duration * 1000) / 2 && last.at < endAt - 1) {
      halfTaken = true;
      await snapshots.take(stack.api.child, 'half');
    }
  }
  await snapshots?.take(stack.api.child, 'end');
}

/** Every created item delivered exactly once, with a successful delivery row: failures by kind. */
async function checkDeliveries(created: string[]): Promise<Record<string, number>> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (created.some((t) => !receiver.received.has(t)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const db = createPrismaClient({ url: database.url });
  let logged = 0;
  try {
    // the worker records an attempt just after the receiver answered: give the last ones a moment
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      logged = await db.webhookDelivery.count({ where: { success: true } });
      if (logged >= created.length) break;
    }
  } finally {
    await db.$disconnect();
  }
  return {
    'delivery: missing': created.filter((t) => !receiver.received.has(t)).length,
    'delivery: duplicated': created.filter((t) => (receiver.received.get(t)?.count ?? 0) > 1).length,
    'delivery: not logged as successful': Math.max(0, created.length - logged),
  };
}

/** Totals, the RSS check of the last half, and errors by kind; 1 if there is any error. */
function report(final: Counts, deliveryErrors: Record<string, number>): number {
  const errors = Object.entries({ ...final.errors, ...deliveryErrors }).filter(([, n]) => n > 0);
  console.log(
    `\ntotals: ${fmt(final.reads)} reads, ${fmt(final.writes)} writes (${fmt(deliveries())} delivered), ${fmt(final.turns)} turns; ` +
      `errors: ${errors.length ? errors.reduce((n, [, c]) => n + c, 0) : 0}`,
  );
  console.log(flatnessLine('API', rssPoints.api, config.duration / 2));
  console.log(flatnessLine('worker', rssPoints.worker, config.duration / 2));
  if (!errors.length) return 0;
  console.log(
    `\n${table(
      ['error kind', 'count'],
      errors.map(([kind, n]) => [kind, fmt(n)]),
    )}`,
  );
  console.log('\n!! errors during the soak: not a valid measurement');
  return 1;
}

async function main(): Promise<number> {
  console.log(
    `soak: ${config.readers} readers (GET ${apiPrefix}/items?page=1&size=20), ${config.writers} writers (POST ${apiPrefix}/items, ` +
      `webhook per item), ${config.agents} agent sockets (${config.tokens}-token answers, ${config.tokenIntervalMs} ms apart); ` +
      `${config.duration} s, a sample every ${config.interval} s; node ${process.version}; ` +
      `API NODE_OPTIONS: ${apiNodeOptions || '(none)'}; worker NODE_OPTIONS: ${workerNodeOptions || '(none)'}`,
  );
  const snapshots = await heapSnapshots(config.heapSnapshots);
  await database.create();
  await seedItems(database.url);
  const stack = await startStack();
  await soak(stack, snapshots);
  const stopped = ask<Extract<LoadMessage, { type: 'stopped' }>>(stack.load, { type: 'stop' }, 'stopped');
  const final = await stopped;
  await ask(stack.model, { type: 'collect' }, 'records'); // the model's records are not needed: drop them
  return report(final, await checkDeliveries(final.created));
}

async function cleanup(): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  if (api) await stopChild(api.child);
  await worker?.stop();
  receiver.close();
  await database.drop();
}

await runBenchmark('soak', main, cleanup, 'stopping the processes and dropping the database');
