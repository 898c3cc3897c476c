// The spans the project's own code makes (a job attempt, the outbox relay, an agent turn, a model
// request, a tool call) and the trace context it carries across processes, through one small door
// that imports nothing at run time: until the SDK is started (only when OTEL_* say so, see
// sdk.ts), every function here does nothing but call through, so the request path and start-up
// pay nothing for tracing that is off.
import type * as OtelApi from '@opentelemetry/api';

/** W3C trace context as text fields (`traceparent`, `tracestate`), stored with an outbox row or a job. */
export type TraceCarrier = Record<string, string>;

export type SpanOptions = {
  kind?: 'internal' | 'producer' | 'consumer' | 'client';
  /** Low-cardinality facts: ids, names, counts; never a token, an email or a secret. */
  attributes?: Record<string, string | number | boolean>;
  /** Continue this trace (one that came from another process) instead of the active one. */
  parent?: TraceCarrier | null;
  /** Start a trace of its own, whatever is active. */
  root?: boolean;
};

let api: typeof OtelApi | undefined;
let tracer: OtelApi.Tracer | undefined;

/** Called by the SDK once it has started: from then on the functions below make spans. */
export function installTracer(loaded: typeof OtelApi, name: string): void {
  api = loaded;
  tracer = loaded.trace.getTracer(name);
}

const KINDS = { internal: 0, client: 2, producer: 3, consumer: 4 } as const;

function parentContext(options: SpanOptions): OtelApi.Context {
  const otel = api!;
  if (options.parent) return otel.propagation.extract(otel.ROOT_CONTEXT, options.parent);
  return options.root ? otel.ROOT_CONTEXT : otel.context.active();
}

/** Runs `work` inside a span named `name`; a failure ends the span with status ERROR and the error's name. */
export function inSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  if (!api || !tracer) return work();
  const otel = api;
  const spanOptions = { kind: KINDS[options.kind ?? 'internal'], ...(options.attributes && { attributes: options.attributes }) };
  return tracer.startActiveSpan(name, spanOptions, parentContext(options), async (span) => {
    try {
      return await work();
    } catch (error) {
      // the name only: a message may carry a host, an address or SQL
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'Error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A span that marks a hand-over (the outbox relay enqueuing a delivery): it starts and ends at
 * once under `parent`, and its context is returned for the next process to continue from.
 */
export function handOver(
  name: string,
  parent: TraceCarrier | null | undefined,
  attributes: SpanOptions['attributes'],
): TraceCarrier | undefined {
  if (!api || !tracer || !parent) return undefined;
  const context = api.propagation.extract(api.ROOT_CONTEXT, parent);
  const span = tracer.startSpan(name, { kind: KINDS.producer, ...(attributes && { attributes }) }, context);
  const carrier: TraceCarrier = {};
  api.propagation.inject(api.trace.setSpan(context, span), carrier);
  span.end();
  return carrier;
}

/** The active trace's context, to store with work another process will do; undefined when tracing is off. */
export function traceCarrier(): TraceCarrier | undefined {
  if (!api) return undefined;
  const carrier: TraceCarrier = {};
  api.propagation.inject(api.context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The active span's ids, for log lines; undefined when none is recording. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = api?.trace.getActiveSpan();
  if (!span?.isRecording()) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** Renames the active span and adds attributes (the HTTP server span, once the route is known). */
export function describeActiveSpan(name: string, attributes: Record<string, string | number>): void {
  const span = api?.trace.getActiveSpan();
  if (!span) return;
  span.updateName(name);
  span.setAttributes(attributes);
}

/** Marks the active span failed (a turn that ended in an error event, which throws nothing). */
export function failActiveSpan(reason: string): void {
  api?.trace.getActiveSpan()?.setStatus({ code: api.SpanStatusCode.ERROR, message: reason });
}
