// The job runtime's metrics and spans: each attempt's time and result, its span, and the retries
// (around every processor), and, read at scrape time, what waits in each queue and how old the oldest event
// still in the outbox is. The queues and the outbox are read by the worker only: the API and the
// scheduler would report the same numbers again.
import { jobDuration, jobQueueJobs, jobRetries, outboxOldestEventAge } from '@personal-automations/observability';
import { inSpan, type TraceCarrier } from '@personal-automations/observability/trace-hooks';
import type { Platform } from '@personal-automations/platform';
import { type JobProcessor, PermanentJobError, QUEUE_NAMES } from '@personal-automations/services';

/** A job's data may carry the trace context of whoever enqueued it (a delivery: the outbox relay's). */
const traceOf = (data: unknown): TraceCarrier | undefined => (data as { trace?: TraceCarrier } | null)?.trace;

/**
 * `processor`, with each attempt timed by queue, job name and result, the attempts after the
 * first counted, and (tracing on) run in a span that continues the enqueuer's trace.
 */
export function timedProcessor<Data, Result>(queue: string, processor: JobProcessor<Data, Result>): JobProcessor<Data, Result> {
  const measured = measuredProcessor(queue, processor);
  return (job) =>
    inSpan(
      `${queue} process`,
      {
        kind: 'consumer',
        parent: traceOf(job.data),
        attributes: {
          'messaging.destination.name': queue,
          'messaging.message.id': job.id,
          'job.name': job.name,
          'job.attempt': job.attempt,
        },
      },
      () => measured(job),
    );
}

function measuredProcessor<Data, Result>(queue: string, processor: JobProcessor<Data, Result>): JobProcessor<Data, Result> {
  return async (job) => {
    if (job.attempt > 1) jobRetries.inc({ queue, name: job.name });
    const started = performance.now();
    let result: 'completed' | 'failed' | 'failed_permanently' = 'failed';
    try {
      const value = await processor(job);
      result = 'completed';
      return value;
    } catch (error) {
      if (error instanceof PermanentJobError) result = 'failed_permanently';
      throw error;
    } finally {
      jobDuration.observe({ queue, name: job.name, result }, (performance.now() - started) / 1000);
    }
  };
}

/** Reads the queues' depths and the outbox's lag at scrape time; returns the remover. */
export function observeQueues(platform: Platform): () => void {
  const queues = Object.values(QUEUE_NAMES).map((name) => platform.jobs.queue(name));
  const stopDepth = jobQueueJobs.add(async (gauge) => {
    const counts = await Promise.all(queues.map((queue) => queue.counts()));
    counts.forEach((byState, i) => {
      for (const [state, count] of Object.entries(byState)) gauge.inc({ queue: queues[i]!.name, state }, count);
    });
  });
  const stopOutbox = outboxOldestEventAge.add(async (gauge) => {
    const [row] = await platform.db.$queryRaw<{ age: number | null }[]>`
      SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox_events WHERE dispatched_at IS NULL`;
    gauge.set(Math.max(0, row?.age ?? 0));
  });
  return () => {
    stopDepth();
    stopOutbox();
  };
}
