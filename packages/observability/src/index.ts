// Metrics for every process of the project (the API, the worker, the scheduler): the families
// (docs/observability.md lists them), the registry they live in, and the endpoint that serves it.
// Tracing is a separate entry point (`@personal-automations/observability/tracing`), loaded only
// when it is configured.

export { type LogSettings, logDestination, logOptions } from './logging.ts';
export * from './metrics/agent.ts';
export * from './metrics/data.ts';
export * from './metrics/http.ts';
export * from './metrics/jobs.ts';
export { type GaugeReader, metricsContentType, metricsText, registry, type SourcedGauge, sourcedGauge } from './metrics/registry.ts';
export { type MetricsLogger, type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics/server.ts';
export * from './metrics/webhooks.ts';
export { startTracingIfEnabled, type TracingSettings } from './tracing/start.ts';
