// The job runtime: what waits in each queue, how long jobs take and how they end, the retries,
// and how far the outbox lags behind.
import { Counter, Histogram } from 'prom-client';
import { registry, sourcedGauge } from './registry.ts';

const JOB_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const jobQueueJobs = sourcedGauge<'queue' | 'state'>({
  name: 'pa_job_queue_jobs',
  help: 'Jobs in each queue by state (waiting, active, delayed, completed, failed), read from the job backend at scrape time',
  labelNames: ['queue', 'state'],
});

export type JobResult = 'completed' | 'failed' | 'failed_permanently';

export const jobDuration = new Histogram<'queue' | 'name' | 'result'>({
  name: 'pa_job_duration_seconds',
  help: 'Time of one job attempt, by queue, job name and result (completed, failed: to be retried, failed_permanently)',
  labelNames: ['queue', 'name', 'result'],
  buckets: JOB_BUCKETS,
  registers: [registry],
});

export const jobRetries = new Counter<'queue' | 'name'>({
  name: 'pa_job_retries_total',
  help: 'Job attempts after the first, by queue and job name',
  labelNames: ['queue', 'name'],
  registers: [registry],
});

export const outboxOldestEventAge = sourcedGauge({
  name: 'pa_outbox_oldest_event_age_seconds',
  help: 'Age of the oldest outbox event not yet relayed to the delivery queue (0 when none waits)',
});
