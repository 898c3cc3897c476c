// What a process's pino logger adds: with tracing on, the active trace and span ids on each line
// (so a log line leads to its trace, and a trace to its lines); on a terminal with
// ENVIRONMENT=local, human-readable lines (pino-pretty); otherwise JSON, one object per line. The
// API binds the ids to each request's logger instead (its last line is written after the
// request's span has ended): it asks for `traceIds: false`.
import { createRequire } from 'node:module';
import { activeTraceIds } from './tracing/hooks.ts';

export type LogSettings = { ENVIRONMENT: string; tracingEnabled: boolean };

/** Options to spread into pino's (or Fastify's `logger`). `terminal`: whether stdout is one. */
export function logOptions(settings: LogSettings, { traceIds = true, terminal = process.stdout.isTTY === true } = {}) {
  return {
    // a new object each time: pino merges the line's fields into what the mixin returns
    ...(settings.tracingEnabled && traceIds && { mixin: () => activeTraceIds() ?? {} }),
    // resolved here, where it is a dependency: pino would look for it from its own caller
    ...(settings.ENVIRONMENT === 'local' && terminal && { transport: { target: createRequire(import.meta.url).resolve('pino-pretty') } }),
  };
}
