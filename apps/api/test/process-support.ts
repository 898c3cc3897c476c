// Real processes for the observability tests: the API and the worker as they run in production
// (their main.ts), Debian's Prometheus and promtool. Each gets its own ports and temp dirs; all
// are stopped by the test that started them.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@personal-automations/testing';
import { FAKE_API_KEY } from '@personal-automations/testing/fake-openai';
import { freePort, REDIS_URL } from './helpers.ts';

export const API_MAIN = fileURLToPath(new URL('../src/start.js', import.meta.url));
// Started by path, as a deployment runs it: the API's tests import no other app.
export const WORKER_MAIN = fileURLToPath(new URL('../../worker/src/main.ts', import.meta.url));

export type Started = { child: ChildProcess; output: () => string; stop(): Promise<void> };

/** Runs `command` with `env` added to the test's environment; its output is kept for failure messages. */
export function startProcess(command: string, args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Waits until `url` answers 200, or fails with the process's output. */
export async function waitForHttp(url: string, started: Started, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    `${url} to answer (output so far:\n${started.output()})`,
    async () => (await fetch(url).catch(() => null))?.ok,
    timeoutMs,
  );
}

export type Prometheus = Started & {
  url: string;
  /** An instant query's series: each with its labels and value. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
};

/** Debian's Prometheus on 127.0.0.1, scraping `targets` (job name → host:port) every second, with its data in a temp dir. */
export async function startPrometheus(targets: Record<string, string>): Promise<Prometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-test-prometheus-'));
  const jobs = Object.entries(targets).map(
    ([job, target]) =>
      `  - job_name: ${job}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: ['${target}']`,
  );
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `scrape_configs:\n${jobs.join('\n')}\n`);
  const url = `http://127.0.0.1:${await freePort()}`;
  const started = startProcess('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${url.slice('http://'.length)}`,
  ]);
  await waitForHttp(`${url}/-/ready`, started);
  return {
    ...started,
    url,
    async stop() {
      await started.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: [] }; error?: string };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
  };
}

/** `promtool check metrics` on `text`: its exit code and what it said. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.end(text);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

export type Stack = { api: Started; worker: Started; base: string; metricsUrl: { api: string; worker: string }; stop(): Promise<void> };

export type StackOptions = { databaseUrl: string; prefix: string; modelUrl: string; env?: Record<string, string> };

/**
 * The API and the worker as processes on one database and queue prefix (the rate-limit counters
 * under the prefix too), quick outbox polling and retries, the model at `modelUrl`, each serving
 * its metrics on a port of its own; ready when both answer.
 */
export async function startStack({ databaseUrl, prefix, modelUrl, env = {} }: StackOptions): Promise<Stack> {
  const [apiPort, apiMetrics, workerMetrics] = [await freePort(), await freePort(), await freePort()];
  const shared = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    JOB_QUEUE_PREFIX: prefix,
    PROJECT_NAME: prefix,
    OUTBOX_POLL_INTERVAL_MS: '50',
    WEBHOOK_RETRY_BASE_DELAY_MS: '50',
    WEBHOOK_RETRY_MAX_DELAY_MS: '200',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    OPENAI_BASE_URL: modelUrl,
    OPENAI_API_KEY: FAKE_API_KEY,
    LOG_LEVEL: 'warn',
    METRICS_HOST: '127.0.0.1',
    ...env,
  };
  const api = startProcess(process.execPath, [API_MAIN], {
    ...shared,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    METRICS_PORT: String(apiMetrics),
  });
  const worker = startProcess(process.execPath, [WORKER_MAIN, 'worker'], { ...shared, METRICS_PORT: String(workerMetrics) });
  const stack: Stack = {
    api,
    worker,
    base: `http://127.0.0.1:${apiPort}/api/v1`,
    metricsUrl: { api: `http://127.0.0.1:${apiMetrics}/metrics`, worker: `http://127.0.0.1:${workerMetrics}/metrics` },
    stop: async () => {
      await Promise.all([api.stop(), worker.stop()]);
    },
  };
  await waitForHttp(`${stack.base}/health`, api);
  await waitForHttp(stack.metricsUrl.api, api);
  await waitForHttp(stack.metricsUrl.worker, worker);
  return stack;
}

/** Registers a fresh user on the stack's API and logs in: its access token. */
export async function signUpOn(base: string, password: string): Promise<string> {
  const email = `observed-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status}`);
  const loggedIn = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  if (loggedIn.status !== 200) throw new Error(`login failed: ${loggedIn.status}`);
  return ((await loggedIn.json()) as { access_token: string }).access_token;
}

/** `fetch` of `<base><path>` with the bearer token and a JSON body when one is given. */
export const restOn = (base: string, token: () => string) => (method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(token() && { authorization: `Bearer ${token()}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
