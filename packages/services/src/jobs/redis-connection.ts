// How the BullMQ backend reaches Redis: where the queues live, how a worker waits out an outage,
// and how a producer fails fast instead (so the outbox keeps an event and an API call gets an
// error rather than hanging).
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Settings } from '@personal-automations/config';
import { ExternalServiceError } from '../errors.ts';

/** Where the queues live: TASKIQ_BROKER_URL (the name deployments of the original already set) and the key prefix. */
export const queueLocation = (settings: Settings) => ({ url: settings.TASKIQ_BROKER_URL, prefix: settings.JOB_QUEUE_PREFIX });

/** Reconnect quickly after an outage (BullMQ's own default backs off to 20 s between tries). */
const retryStrategy = (times: number) => Math.min(200 * times, 3000);

/**
 * Connection options for BullMQ workers and queues that should wait out an outage: BullMQ opens
 * (and closes) its own clients from them, waits for Redis and reconnects, as it requires.
 */
export const queueConnection = (url: string): RedisOptions => ({ url, maxRetriesPerRequest: null, retryStrategy });

/**
 * A producer's Redis client: fails fast while Redis is unreachable (no offline queue), so the
 * outbox keeps an event and an API call gets an error instead of hanging. It connects at once
 * and keeps reconnecting; the caller disconnects it.
 */
export function createProducerRedis(url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy });
  // Connection errors reach the callers through their commands; ioredis keeps reconnecting.
  redis.on('error', () => {});
  return redis;
}

const OPENING = new Set(['wait', 'connecting', 'connect']);

/** Resolves when a connection still being opened is ready, has failed once, or after `ms`: an outage must not hold anything up. */
export function firstConnection(redis: Redis, ms: number): Promise<void> {
  if (!OPENING.has(redis.status)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done).off('error', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done).once('error', done);
  });
}

/** A producer call that could wait on an unreachable Redis gives up after this long. */
export const ENQUEUE_TIMEOUT_MS = 5000;

/** `work`, or ExternalServiceError when it has not finished within `ms`. */
export async function withQueueTimeout<T>(work: Promise<T>, ms = ENQUEUE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ExternalServiceError('Job queue unavailable')), ms);
  });
  work.catch(() => {}); // a late failure after the timeout is not an unhandled rejection
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
