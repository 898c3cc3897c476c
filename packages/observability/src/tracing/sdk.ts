// The OpenTelemetry Node SDK, started only when the OTEL_* settings ask for traces
// (settings.tracingEnabled): the entry points import this file dynamically, before the modules it
// instruments, so with tracing off none of it is ever loaded. The SDK reads the standard
// variables itself (OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES).
// Instrumented: incoming and outgoing HTTP (node:http: the API's requests, webhook deliveries),
// fetch (undici: the model API), ioredis, Prisma (@prisma/instrumentation), and this project's own
// spans (hooks.ts: job attempts, the outbox relay, agent turns, model requests, tool calls).
import { createRequire } from 'node:module';
import { installTracer } from './hooks.ts';

/** Query parameters whose values never reach a span (the agent socket's `?token=`, OAuth's code and state, keys in webhook URLs). */
const SECRET_PARAMS = [
  'token',
  'access_token',
  'refresh_token',
  'code',
  'state',
  'key',
  'api_key',
  'apikey',
  'secret',
  'signature',
  'sig',
  'password',
];

export type Tracing = { shutdown(): Promise<void> };

/**
 * Starts the SDK, reporting as `serviceName` (the caller passes OTEL_SERVICE_NAME when set). Must run before
 * ioredis is imported: ESM imports are not patched, so the module is required here once, through
 * the CommonJS loader the instrumentation hooks, and the later imports get that same patched copy.
 */
export async function startTracing(serviceName: string): Promise<Tracing> {
  const [api, { NodeSDK }, { HttpInstrumentation }, { UndiciInstrumentation }, { IORedisInstrumentation }, { PrismaInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-undici'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('@prisma/instrumentation'),
    ]);
  const sdk = new NodeSDK({
    serviceName,
    instrumentations: [
      new HttpInstrumentation({ redactedQueryParams: SECRET_PARAMS, redactedQueryParamsServer: SECRET_PARAMS }),
      new UndiciInstrumentation(),
      new IORedisInstrumentation(),
      new PrismaInstrumentation(),
    ],
  });
  sdk.start();
  const require = createRequire(import.meta.url);
  for (const name of ['node:http', 'node:https', 'ioredis']) require(name);
  installTracer(api, 'personal_automations');
  return { shutdown: () => sdk.shutdown() };
}
