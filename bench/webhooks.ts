// Benchmark: webhook delivery through the real worker process (`apps/worker/src/main.ts worker`)
// to a receiver on 127.0.0.1 in this process, once per job backend (BullMQ on Redis, then the
// database's jobs table), each on a fresh database, and the figures side by side:
//   1. latency: items are created at a steady rate through ItemService (the same transaction +
//      outbox row as the API); latency = receipt at the receiver − the create's commit.
//   2. throughput: a burst of outbox events committed at once; deliveries/s = events ÷ the time
//      from that commit to the last receipt.
// and the worker process's CPU time per delivery in each phase. Every event must arrive exactly
// once and have one successful delivery row; the run exits 1 otherwise.
//
// Settings (environment):
//   BENCH_EVENTS_PER_SECOND  rate of the latency phase (default 200)
//   BENCH_DURATION           seconds of the latency phase (default 10)
//   BENCH_BURST              events in the throughput burst (default 5000)
//   BENCH_BACKENDS           the job backends, in order (default redis,jobs-table)
//   BENCH_POLL_MS            the worker's OUTBOX_POLL_INTERVAL_MS (default: the setting's)
//   BENCH_CONCURRENCY        the worker's WEBHOOK_CONCURRENCY (default: the setting's)
// Each backend gets a fresh database pa_bench_<random> and queue prefix, removed at the end.
import { randomBytes } from 'node:crypto';
import { getSettings } from '@personal-automations/config';
import { createPrismaClient } from '@personal-automations/db';
import { ItemService } from '@personal-automations/services';
import { benchDatabase } from './lib/database.ts';
import { intEnv } from './lib/env.ts';
import { createReceiver } from './lib/receiver.ts';
import { table } from './lib/report.ts';
import { runBenchmark } from './lib/run.ts';
import { type Backend, type BenchWorker, startWorker } from './lib/webhook-worker.ts';

const settings = getSettings();
const config = {
  rate: intEnv('BENCH_EVENTS_PER_SECOND', 200, 1, 10_000),
  duration: intEnv('BENCH_DURATION', 10, 1, 600),
  burst: intEnv('BENCH_BURST', 5000, 1, 1_000_000),
  pollMs: intEnv('BENCH_POLL_MS', settings.OUTBOX_POLL_INTERVAL_MS, 10, 60_000),
  concurrency: intEnv('BENCH_CONCURRENCY', settings.WEBHOOK_CONCURRENCY, 1, 1000),
  backends: (process.env.BENCH_BACKENDS || 'redis,jobs-table').split(',').map((b) => b.trim()) as Backend[],
};
for (const backend of config.backends)
  if (backend !== 'redis' && backend !== 'jobs-table') throw new Error(`BENCH_BACKENDS: unknown backend ${JSON.stringify(backend)}`);

// ---- receiver: records when each event (by its data.title) arrived, and how often ------------

const receiver = createReceiver();
const { received } = receiver;

async function waitForAll(keys: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (keys.some((k) => !received.has(k))) {
    if (Date.now() > deadline)
      throw new Error(`${keys.filter((k) => !received.has(k)).length} of ${keys.length} events not delivered within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const now = () => performance.timeOrigin + performance.now();

type Figures = { p50: number; p90: number; p99: number; max: number; steadyCpu: number; perSecond: number; burstCpu: number; ok: boolean };

/** Steady creates at `config.rate`: the latency of each, and the worker's CPU per delivery meanwhile. */
async function latencyPhase(items: ItemService, worker: BenchWorker, tag: string) {
  const total = config.rate * config.duration;
  const committed = new Map<string, number>();
  const cpuBefore = await worker.cpuMicros();
  const started = performance.now();
  const creates: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / config.rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const key = `${tag}-steady-${i}`;
    creates.push(items.create({ title: key }).then(() => void committed.set(key, now())));
  }
  await Promise.all(creates);
  const keys = [...committed.keys()];
  await waitForAll(keys, 120_000);
  const cpu = (await worker.cpuMicros()) - cpuBefore;
  const latencies = keys.map((k) => received.get(k)!.at - committed.get(k)!).sort((a, b) => a - b);
  return { latencies, cpuPerDelivery: cpu / total };
}

async function measure(backend: Backend, url: string): Promise<Figures> {
  const database = benchDatabase(settings.databaseUrl);
  const db = createPrismaClient({ url: database.url });
  let worker: BenchWorker | undefined;
  try {
    await database.create();
    const user = await db.user.create({ data: { email: 'bench@example.com' } });
    await db.webhook.create({
      data: { userId: user.id, name: 'bench', url, events: ['item.created'], secret: randomBytes(32).toString('base64url') },
    });
    worker = startWorker(backend, settings, {
      DATABASE_URL: database.url,
      OUTBOX_POLL_INTERVAL_MS: String(config.pollMs),
      WEBHOOK_CONCURRENCY: String(config.concurrency),
    });
    const items = new ItemService(db);
    await items.create({ title: `${backend}-warm-up` });
    await waitForAll([`${backend}-warm-up`], 60_000);

    const steady = await latencyPhase(items, worker, backend);
    const lat = steady.latencies;

    const burstKeys = Array.from({ length: config.burst }, (_, i) => `${backend}-burst-${i}`);
    const cpuBefore = await worker.cpuMicros();
    const burstStart = now();
    await db.outboxEvent.createMany({ data: burstKeys.map((title) => ({ eventType: 'item.created', payload: { id: title, title } })) });
    await waitForAll(burstKeys, 600_000);
    const seconds = (Math.max(...burstKeys.map((k) => received.get(k)!.at)) - burstStart) / 1000;
    const burstCpu = ((await worker.cpuMicros()) - cpuBefore) / config.burst;

    const keys = [`${backend}-warm-up`, ...lat.map((_, i) => `${backend}-steady-${i}`), ...burstKeys];
    const duplicates = keys.filter((k) => received.get(k)!.count > 1).length;
    // the worker records an attempt just after the receiver answered: give the last ones a moment
    let logged = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      logged = await db.webhookDelivery.count({ where: { success: true } });
      if (logged >= keys.length) break;
    }
    const rows = await db.webhookDelivery.count();
    console.log(
      `  ${backend}: every event delivered once: ${duplicates === 0 ? 'yes' : `NO (${duplicates} duplicated)`}; ` +
        `delivery rows ${rows}, with success ${logged}, of ${keys.length} events`,
    );
    const ok = duplicates === 0 && logged === keys.length && rows === keys.length;
    return {
      p50: percentile(lat, 50),
      p90: percentile(lat, 90),
      p99: percentile(lat, 99),
      max: lat.at(-1)!,
      steadyCpu: steady.cpuPerDelivery,
      perSecond: config.burst / seconds,
      burstCpu,
      ok,
    };
  } finally {
    await worker?.stop();
    await db.$disconnect();
    await database.drop();
  }
}

async function main(): Promise<number> {
  console.log(
    `webhooks: worker process, WEBHOOK_CONCURRENCY ${config.concurrency}, outbox poll ${config.pollMs} ms (woken by NOTIFY on PostgreSQL), ` +
      `receiver on 127.0.0.1; ${config.rate} events/s for ${config.duration} s, then a burst of ${config.burst}; node ${process.version}`,
  );
  const url = await receiver.listen();
  const results = new Map<Backend, Figures>();
  for (const backend of config.backends) results.set(backend, await measure(backend, url));
  const rows = [...results].map(([backend, f]) => [
    backend,
    `${fmt(f.p50)} / ${fmt(f.p90)} / ${fmt(f.p99)} / ${fmt(f.max)}`,
    fmt(f.steadyCpu, 0),
    fmt(f.perSecond, 0),
    fmt(f.burstCpu, 0),
  ]);
  console.log(
    `\n${table(
      [
        'job backend',
        `latency at ${config.rate}/s p50 / p90 / p99 / max ms`,
        'worker CPU µs/delivery',
        `burst deliveries/s`,
        'worker CPU µs/delivery',
      ],
      rows,
    )}`,
  );
  return [...results.values()].every((f) => f.ok) ? 0 : 1;
}

await runBenchmark('webhooks', main, async () => receiver.close(), 'stopping the worker and dropping the databases');
