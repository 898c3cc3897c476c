// The metrics end to end, against a real Prometheus: the API and the worker run as their own
// processes (main.ts), each serving /metrics on a port of its own; Debian's Prometheus scrapes
// both. The test drives a login (and failed ones), an item with a webhook whose receiver fails
// once, and agent turns (one with a tool call, one the model fails), then asks Prometheus' HTTP
// API for every family the issue lists, and checks both endpoints' text with `promtool`.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeQueues, useTestDatabase, waitUntil, workerTestSettings } from '@personal-automations/testing';
import { type FakeOpenAI, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { AgentSocket } from './agent-socket.ts';
import { type Prometheus, promtoolCheckMetrics, restOn, type Stack, signUpOn, startPrometheus, startStack } from './process-support.ts';
import { type Receiver, startReceiver } from './webhooks-support.ts';

const database = useTestDatabase();
const prefix = `pa_test_${randomBytes(5).toString('hex')}`;
const password = 'correct horse battery';
let fake: FakeOpenAI;
let receiver: Receiver;
let stack: Stack;
let prometheus: Prometheus;
let accessToken = '';
let socket: AgentSocket | undefined;
const rest = (method: string, path: string, body?: unknown) => restOn(stack.base, () => accessToken)(method, path, body);

beforeAll(async () => {
  fake = await startFakeOpenAI();
  receiver = await startReceiver((n) => (n === 0 ? { status: 500, body: 'not yet' } : { status: 200, body: 'ok' }));
  stack = await startStack({ databaseUrl: database.url, prefix, modelUrl: fake.baseUrl, env: { LOGIN_MAX_FAILURES: '1' } });
  prometheus = await startPrometheus({ api: new URL(stack.metricsUrl.api).host, worker: new URL(stack.metricsUrl.worker).host });
}, 120_000);

afterAll(async () => {
  socket?.ws.close();
  await Promise.all([prometheus?.stop(), stack?.stop(), receiver?.close(), fake?.close()]);
  await removeQueues(workerTestSettings(database.url, prefix));
});

const login = (username: string, secret: string) =>
  fetch(`${stack.base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: secret }).toString(),
  });

async function driveTraffic(): Promise<void> {
  accessToken = await signUpOn(stack.base, password);
  // a wrong password, then the account's throttle (LOGIN_MAX_FAILURES=1)
  const stranger = `nobody-${randomBytes(4).toString('hex')}@example.com`;
  expect((await login(stranger, 'wrong password')).status).toBe(401);
  expect((await login(stranger, 'wrong password')).status).toBe(429);

  expect((await rest('POST', '/webhooks', { name: 'metrics', url: receiver.url, events: ['item.created'] })).status).toBe(201);
  const item = (await (await rest('POST', '/items', { title: 'observed' })).json()) as { id: string };
  expect((await rest('GET', `/items/${item.id}`)).status).toBe(200);
  await waitUntil('the delivery, retried once', () => receiver.requests.length === 2, 60_000);

  socket = await AgentSocket.open(stack.base.replace('/api/v1', ''), `?token=${accessToken}`);
  expect((await socket.turn({ message: 'What time is it?' })).at(-1)?.type).toBe('complete');
  fake.reply = () => ({ kind: 'error', status: 500 });
  expect((await socket.turn({ message: 'fail please' })).at(-1)?.type).toBe('error');
}

/** Every family of the issue, as a query that must find at least one series (per process where both export it). */
const FAMILIES: Record<string, string> = {
  'request duration by method, route template, status': `pa_http_request_duration_seconds_count{job="api",method="POST",route="/api/v1/items",status_code="201"}`,
  'request duration of a path with an id, by its template': `pa_http_request_duration_seconds_count{route="/api/v1/items/:item_id",method="GET"}`,
  'requests in flight': `pa_http_requests_in_flight{job="api"}`,
  'procedure calls by procedure, type, result': `pa_trpc_calls_total{procedure="items.create",type="mutation",result="ok"}`,
  'failed procedure calls by code': `pa_trpc_calls_total{procedure="auth.login",result="UNAUTHORIZED"}`,
  'rate-limit refusals by policy': `pa_rate_limit_refusals_total{policy="loginFailures"}`,
  'logins: success': `pa_auth_logins_total{result="success"}`,
  'logins: invalid credentials': `pa_auth_logins_total{result="invalid_credentials"}`,
  'logins: throttled': `pa_auth_logins_total{result="throttled"}`,
  'pool connections, API': `pa_db_pool_connections{job="api",state="idle"}`,
  'pool connections, worker': `pa_db_pool_connections{job="worker",state="in_use"}`,
  'pool waiting callers': `pa_db_pool_connections{state="waiting"}`,
  'query duration, API': `pa_db_query_duration_seconds_count{job="api",operation="query"}`,
  'query duration, worker': `pa_db_query_duration_seconds_count{job="worker",operation="execute"}`,
  'readiness: database': `pa_dependency_up{job="api",dependency="database"} == 1`,
  'readiness: redis': `pa_dependency_up{job="worker",dependency="redis"} == 1`,
  'redis connections': `pa_redis_connection_up{job="api",client="fast"} == 1`,
  'queue depth by queue and state': `pa_job_queue_jobs{job="worker",queue="webhook-deliveries",state="completed"} >= 1`,
  'job duration and result: completed': `pa_job_duration_seconds_count{queue="webhook-deliveries",name="item.created",result="completed"}`,
  'job duration and result: failed': `pa_job_duration_seconds_count{queue="webhook-deliveries",name="item.created",result="failed"}`,
  'job retries': `pa_job_retries_total{queue="webhook-deliveries",name="item.created"} >= 1`,
  'outbox oldest event age': `pa_outbox_oldest_event_age_seconds{job="worker"}`,
  'deliveries: delivered, 2xx': `pa_webhook_deliveries_total{result="delivered",status_class="2xx"}`,
  'deliveries: failed, 5xx': `pa_webhook_deliveries_total{result="failed",status_class="5xx"}`,
  'event to delivered latency': `pa_webhook_delivery_latency_seconds_count >= 1`,
  'agent open sockets': `pa_agent_open_sockets{job="api"} == 1`,
  'agent turns: completed': `pa_agent_turns_total{result="completed"}`,
  'agent turns: failed': `pa_agent_turns_total{result="failed"}`,
  'time to first token': `pa_agent_time_to_first_token_seconds_count >= 1`,
  'tokens in': `pa_agent_tokens_total{model="gpt-4o-mini",direction="input"} > 0`,
  'tokens out': `pa_agent_tokens_total{model="gpt-4o-mini",direction="output"} > 0`,
  'tool calls by tool and status': `pa_agent_tool_calls_total{tool="current_datetime",status="completed"}`,
  'model errors by kind': `pa_agent_model_errors_total{kind="http_5xx"}`,
  'event-loop lag, both processes': `count(nodejs_eventloop_lag_seconds) == 2`,
  'heap, both processes': `count(nodejs_heap_size_used_bytes) == 2`,
  'GC, both processes': `count(nodejs_gc_duration_seconds_count) >= 2`,
};

describe('metrics scraped by a real Prometheus', { timeout: 180_000 }, () => {
  it('has every family after a login, an item, a webhook delivery and agent turns', async () => {
    await driveTraffic();
    const missing = async () => {
      const results = await Promise.all(Object.values(FAMILIES).map((expr) => prometheus.query(expr)));
      return Object.keys(FAMILIES).filter((_, i) => results[i]!.length === 0);
    };
    let last: string[] = [];
    const found = async () => {
      last = await missing();
      return last.length === 0;
    };
    await waitUntil('every family in Prometheus', found, 90_000).catch((error) => {
      throw new Error(`${(error as Error).message}; missing: ${last.join(', ')}`);
    });
  });

  it('labels routes by template only: no series names a raw id', async () => {
    expect(await prometheus.query('pa_http_request_duration_seconds_count{route=~".*[0-9a-f]{8}-[0-9a-f]{4}-.*"}')).toEqual([]);
    expect(await prometheus.query('up == 0')).toEqual([]);
  });

  it('passes promtool check metrics on both endpoints, and carries no secret', async () => {
    for (const url of Object.values(stack.metricsUrl)) {
      const text = await (await fetch(url)).text();
      const checked = await promtoolCheckMetrics(text);
      expect(checked, checked.output).toMatchObject({ code: 0 });
      expect(text).not.toContain(accessToken);
      expect(text).not.toContain(password);
      expect(text).not.toContain('example.com');
    }
  });

  it('is not on the public router', async () => {
    expect((await fetch(`${stack.base.replace('/api/v1', '')}/metrics`)).status).toBe(404);
    expect((await fetch(`${stack.base}/metrics`)).status).toBe(404);
  });
});
