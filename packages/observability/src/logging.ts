// What a process's pino logger adds: with tracing on, the active trace and span ids on each line
// (so a log line leads to its trace, and a trace to its lines); on a terminal with
// ENVIRONMENT=local, human-readable lines (pino-pretty); otherwise JSON, one object per line, to
// stdout through a buffer of at most LOG_BUFFER_MAX_BYTES. The API binds the ids to each
// request's logger instead (its last line is written after the request's span has ended): it
// asks for `traceIds: false`.
import { createRequire } from 'node:module';
import { destination } from 'pino';
import { activeTraceIds } from './tracing/hooks.ts';

export type LogSettings = { ENVIRONMENT: string; tracingEnabled: boolean; LOG_BUFFER_MAX_BYTES: number };

/**
 * Standard output as pino writes it by default (asynchronously: a line never waits for the
 * write, it waits in a buffer while one is in progress), but with a bound on that buffer. When
 * whatever reads stdout stalls (a log driver that blocks, a full pipe), pino's own default would
 * keep every line in memory until it drains, without end; past `maxBytes` waiting, new lines are
 * dropped instead until it drains.
 */
export function logDestination(maxBytes: number, fd = 1): ReturnType<typeof destination> {
  return destination({ dest: fd, sync: false, maxLength: maxBytes });
}

/** pino writes to process.stdout itself when something replaced its write (a test runner capturing it); so does this. */
const stdoutReplaced = () => process.stdout.write !== Object.getPrototypeOf(process.stdout).write;

/**
 * Options to spread into pino's (or Fastify's `logger`, which takes `stream` among them; pino
 * takes it as its second argument). `terminal`: whether stdout is one.
 */
export function logOptions(settings: LogSettings, { traceIds = true, terminal = process.stdout.isTTY === true } = {}) {
  const pretty = settings.ENVIRONMENT === 'local' && terminal;
  return {
    // a new object each time: pino merges the line's fields into what the mixin returns
    ...(settings.tracingEnabled && traceIds && { mixin: () => activeTraceIds() ?? {} }),
    // resolved here, where it is a dependency: pino would look for it from its own caller
    ...(pretty && { transport: { target: createRequire(import.meta.url).resolve('pino-pretty') } }),
    ...(!pretty && !stdoutReplaced() && { stream: logDestination(settings.LOG_BUFFER_MAX_BYTES) }),
  };
}
