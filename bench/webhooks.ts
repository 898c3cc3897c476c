// Benchmark: webhook delivery through the real worker process (`apps/worker/src/main.ts worker`)
// to a receiver on 127.0.0.1 in this process.
//   1. latency: items are created at a steady rate through ItemService (the same transaction +
//      outbox row as the API); latency = receipt at the receiver − the create's commit.
//   2. throughput: a burst of outbox events committed at once; deliveries/s = events ÷ the time
//      from that commit to the last receipt.
// Every event must arrive exactly once; the run exits 1 otherwise.
//
// Settings (environment):
//   BENCH_EVENTS_PER_SECOND  rate of the latency phase (default 50)
//   BENCH_DURATION           seconds of the latency phase (default 10)
//   BENCH_BURST              events in the throughput burst (default 2000)
//   BENCH_POLL_MS            the worker's OUTBOX_POLL_INTERVAL_MS (default: the setting's, 250)
//   BENCH_CONCURRENCY        the worker's WORKER_CONCURRENCY (default: the setting's, 5)
// A fresh database pa_bench_<random> and queue prefix are created and removed at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSettings, loadSettings, readEnvFile } from '@personal-automations/config';
import { createPrismaClient } from '@personal-automations/db';
import { ItemService } from '@personal-automations/services';
import { removeQueues } from '@personal-automations/testing/queues';
import { benchDatabase } from './lib/database.ts';
import { intEnv } from './lib/env.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER_MAIN = path.join(here, '../apps/worker/src/main.ts');

const settings = getSettings();
const config = {
  rate: intEnv('BENCH_EVENTS_PER_SECOND', 50, 1, 10_000),
  duration: intEnv('BENCH_DURATION', 10, 1, 600),
  burst: intEnv('BENCH_BURST', 2000, 1, 1_000_000),
  pollMs: intEnv('BENCH_POLL_MS', settings.OUTBOX_POLL_INTERVAL_MS, 10, 60_000),
  concurrency: intEnv('BENCH_CONCURRENCY', settings.WORKER_CONCURRENCY, 1, 1000),
};
const database = benchDatabase(settings.databaseUrl);
const databaseUrl = database.url;
const workerEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  JOB_QUEUE_PREFIX: `pa_bench_${randomBytes(4).toString('hex')}`,
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  OUTBOX_POLL_INTERVAL_MS: String(config.pollMs),
  WORKER_CONCURRENCY: String(config.concurrency),
  LOG_LEVEL: 'warn',
};
const workerSettings = loadSettings({ ...readEnvFile(), ...workerEnv });

// ---- receiver: records when each event (by its data.key) arrived, and how often -------------

const received = new Map<string, { at: number; count: number }>();
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const key = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).data.title);
    const seen = received.get(key);
    received.set(key, { at: seen?.at ?? at, count: (seen?.count ?? 0) + 1 });
    res.writeHead(200).end('ok');
  });
});

async function waitForAll(keys: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (keys.some((k) => !received.has(k))) {
    if (Date.now() > deadline)
      throw new Error(`${keys.filter((k) => !received.has(k)).length} of ${keys.length} events not delivered within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---- main ----------------------------------------------------------------------------------

let worker: ChildProcess | undefined;
const db = createPrismaClient({ url: databaseUrl });

function stopWorker(): Promise<void> {
  const child = worker;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<number> {
  console.log(
    `webhooks: worker process, concurrency ${config.concurrency}, outbox poll ${config.pollMs} ms, receiver on 127.0.0.1; node ${process.version}`,
  );
  await database.create();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const user = await db.user.create({ data: { email: 'bench@example.com' } });
  await db.webhook.create({
    data: { userId: user.id, name: 'bench', url, events: ['item.created'], secret: randomBytes(32).toString('base64url') },
  });

  worker = spawn(process.execPath, [WORKER_MAIN, 'worker'], { env: workerEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  const items = new ItemService(db);
  await items.create({ title: 'warm-up' });
  await waitForAll(['warm-up'], 60_000);

  // 1. latency at a steady rate
  const total = config.rate * config.duration;
  const committed = new Map<string, number>();
  const started = performance.now();
  const creates: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / config.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const key = `steady-${i}`;
    creates.push(items.create({ title: key }).then(() => void committed.set(key, performance.timeOrigin + performance.now())));
  }
  await Promise.all(creates);
  const steadyKeys = [...committed.keys()];
  await waitForAll(steadyKeys, 120_000);
  const latencies = steadyKeys.map((k) => received.get(k)!.at - committed.get(k)!).sort((a, b) => a - b);
  console.log(
    `  latency, ${total} items created at ${config.rate}/s: p50 ${fmt(percentile(latencies, 50))} ms  p90 ${fmt(percentile(latencies, 90))} ms  ` +
      `p99 ${fmt(percentile(latencies, 99))} ms  max ${fmt(latencies.at(-1)!)} ms`,
  );

  // 2. throughput of a burst committed at once
  const burstKeys = Array.from({ length: config.burst }, (_, i) => `burst-${i}`);
  const burstStart = performance.timeOrigin + performance.now();
  await db.outboxEvent.createMany({ data: burstKeys.map((title) => ({ eventType: 'item.created', payload: { id: title, title } })) });
  await waitForAll(burstKeys, 600_000);
  const lastAt = Math.max(...burstKeys.map((k) => received.get(k)!.at));
  const seconds = (lastAt - burstStart) / 1000;
  console.log(
    `  throughput, burst of ${config.burst} events: ${fmt(config.burst / seconds)} deliveries/s (${fmt(seconds, 2)} s to the last receipt)`,
  );

  const duplicates = [...received.values()].filter((r) => r.count > 1).length;
  // the worker logs an attempt just after the receiver answered: give the last ones a moment
  let logged = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    logged = await db.webhookDelivery.count({ where: { success: true } });
    if (logged >= received.size) break;
  }
  console.log(
    `  every event delivered once: ${duplicates === 0 ? 'yes' : `NO (${duplicates} duplicated)`}; delivery rows with success: ${logged} of ${received.size}`,
  );
  return duplicates === 0 && logged === received.size ? 0 : 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error('webhooks benchmark failed:', error);
} finally {
  await stopWorker();
  receiver.close();
  await removeQueues(workerSettings).catch((error: unknown) => console.error('could not remove the bench queues:', error));
  await db.$disconnect();
  await database.drop();
}
process.exit(exitCode);
