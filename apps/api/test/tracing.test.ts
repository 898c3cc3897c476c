// Traces end to end, with the API and the worker as processes exporting over OTLP/HTTP to a small
// receiver the test runs: POST /items → the outbox row → the relay → the delivery job → the POST
// to the webhook receiver is one trace across both processes, and an agent turn → its model
// requests → its tool call is another; no span carries a token; the API's log lines carry the
// trace id of their request.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeQueues, useTestDatabase, waitUntil, workerTestSettings } from '@personal-automations/testing';
import { type FakeOpenAI, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { AgentSocket } from './agent-socket.ts';
import { KIND, type OtlpReceiver, type ReceivedSpan, STATUS_ERROR, startOtlpReceiver } from './otlp-receiver.ts';
import { restOn, type Stack, signUpOn, startStack } from './process-support.ts';
import { type Receiver, startReceiver } from './webhooks-support.ts';

const database = useTestDatabase();
const prefix = `pa_test_${randomBytes(5).toString('hex')}`;
let otlp: OtlpReceiver;
let fake: FakeOpenAI;
let receiver: Receiver;
let stack: Stack;
let accessToken = '';
const rest = (method: string, path: string, body?: unknown) => restOn(stack.base, () => accessToken)(method, path, body);

beforeAll(async () => {
  [otlp, fake, receiver] = await Promise.all([startOtlpReceiver(), startFakeOpenAI(), startReceiver()]);
  stack = await startStack({
    databaseUrl: database.url,
    prefix,
    modelUrl: fake.baseUrl,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      LOG_LEVEL: 'info',
    },
  });
  accessToken = await signUpOn(stack.base, 'correct horse battery');
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), receiver?.close(), fake?.close(), otlp?.close()]);
  await removeQueues(workerTestSettings(database.url, prefix));
});

const inTrace = (traceId: string) => otlp.spans.filter((span) => span.traceId === traceId);
const parentOf = (span: ReceivedSpan) => otlp.spans.find((other) => other.spanId === span.parentSpanId);
const findSpan = (traceId: string, test: (span: ReceivedSpan) => boolean) => inTrace(traceId).find(test);

/** The spans of `traceId` once all of `wanted` are there (the exporters send in batches). */
function spansOnceThere(traceId: string, wanted: Record<string, (span: ReceivedSpan) => boolean>) {
  return waitUntil(
    `the trace's spans: ${Object.keys(wanted).join(', ')}`,
    () => Object.values(wanted).every((test) => findSpan(traceId, test)) && inTrace(traceId),
    60_000,
  );
}

describe('traces over OTLP/HTTP', { timeout: 120_000 }, () => {
  it('POST /items → outbox → relay → delivery job → the POST to the receiver is one trace across the API and the worker', async () => {
    expect((await rest('POST', '/webhooks', { name: 'traced', url: receiver.url, events: ['item.created'] })).status).toBe(201);
    expect((await rest('POST', '/items', { title: 'traced' })).status).toBe(201);
    const [delivery] = await waitUntil('the delivery', () => receiver.requests.length > 0 && receiver.requests, 60_000);
    const [, traceId, postSpanId] = String(delivery!.headers.traceparent).split('-');

    const wanted = {
      server: (s: ReceivedSpan) => s.kind === KIND.server && s.name === 'POST /api/v1/items',
      prisma: (s: ReceivedSpan) => s.service === `${prefix}-api` && s.name.startsWith('prisma:'),
      publish: (s: ReceivedSpan) => s.name === 'webhook-deliveries publish',
      process: (s: ReceivedSpan) => s.name === 'webhook-deliveries process',
      post: (s: ReceivedSpan) => s.spanId === postSpanId,
    };
    await spansOnceThere(traceId!, wanted);
    const [server, prisma, publish, job, post] = Object.values(wanted).map((test) => findSpan(traceId!, test)) as ReceivedSpan[] &
      Record<0 | 1 | 2 | 3 | 4, ReceivedSpan>;

    expect(server).toMatchObject({ service: `${prefix}-api`, parentSpanId: '', attributes: { 'http.route': '/api/v1/items' } });
    expect(prisma.parentSpanId).not.toBe('');
    // the relay's hand-over hangs under the request's trace, in the worker
    expect(publish).toMatchObject({ service: `${prefix}-worker`, kind: KIND.producer });
    expect(parentOf(publish)?.service).toBe(`${prefix}-api`);
    expect(job).toMatchObject({ service: `${prefix}-worker`, kind: KIND.consumer, parentSpanId: publish.spanId });
    expect(job.attributes).toMatchObject({
      'messaging.destination.name': 'webhook-deliveries',
      'job.name': 'item.created',
      'job.attempt': 1,
    });
    expect(post).toMatchObject({ service: `${prefix}-worker`, kind: KIND.client, parentSpanId: job.spanId });
    expect(inTrace(traceId!).every((span) => span.status !== STATUS_ERROR)).toBe(true);
  });

  it('an agent turn → its model requests → its tool call is one trace; a failed turn is marked failed', async () => {
    const socket = await AgentSocket.open(stack.base.replace('/api/v1', ''), `?token=${accessToken}`);
    try {
      expect((await socket.turn({ message: 'What time is it?' })).at(-1)?.type).toBe('complete');
      const turn = await waitUntil('the turn span', () => otlp.spans.find((s) => s.name === 'agent turn'), 60_000);
      const wanted = {
        model: (s: ReceivedSpan) => s.name === 'agent model request' && s.parentSpanId === turn.spanId,
        tool: (s: ReceivedSpan) => s.name === 'agent tool call' && s.parentSpanId === turn.spanId,
        http: (s: ReceivedSpan) => s.kind === KIND.client && parentOf(s)?.name === 'agent model request',
      };
      await spansOnceThere(turn.traceId, wanted);
      expect(turn).toMatchObject({ parentSpanId: '', service: `${prefix}-api` });
      expect(inTrace(turn.traceId).filter(wanted.model)).toHaveLength(2);
      expect(findSpan(turn.traceId, wanted.tool)?.attributes).toMatchObject({ 'gen_ai.tool.name': 'current_datetime' });
      expect(findSpan(turn.traceId, wanted.model)?.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o-mini' });

      fake.reply = () => ({ kind: 'error', status: 500 });
      expect((await socket.turn({ message: 'fail' })).at(-1)?.type).toBe('error');
      await waitUntil('the failed turn', () => otlp.spans.some((s) => s.name === 'agent turn' && s.status === STATUS_ERROR), 60_000);
    } finally {
      socket.ws.close();
      fake.reset();
    }
  });

  it('puts no token in any span, and the trace id on the request’s log line', async () => {
    const all = JSON.stringify(otlp.spans);
    expect(all).not.toContain(accessToken);
    expect(all).not.toContain('correct horse battery');
    const item = findSpan(otlp.spans.find((s) => s.name === 'POST /api/v1/items')!.traceId, (s) => s.name === 'POST /api/v1/items')!;
    const line = stack.api
      .output()
      .split('\n')
      .find((text) => text.includes('"request completed"') && text.includes(item.traceId));
    expect(
      line,
      stack.api
        .output()
        .split('\n')
        .filter((t) => t.includes('request completed'))
        .join('\n')
        .slice(0, 3000),
    ).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ trace_id: item.traceId, reqId: expect.any(String), req: { url: '/api/v1/items' } });
  });
});
