// Shared by the webhook tests: a webhook receiver on 127.0.0.1 (packages/testing's), a TCP proxy in
// front of Redis that can be cut and restored, and per-file job-queue settings.
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { runWorker } from '@personal-automations/jobs';
import { type DeliveryJobData, type JobQueue, QUEUE_NAMES } from '@personal-automations/services';
import { embedded, type SignedUp, type TestApp } from './helpers.ts';

export {
  type ReceivedRequest,
  type Receiver,
  type Reply,
  removeQueues,
  startReceiver,
  waitForJobState,
  waitUntil,
} from '@personal-automations/testing';

/** `fetch` of `/api/v1<path>` as `user` (anonymous when null), with a JSON body when one is given. */
export const restAs =
  (t: TestApp, user: () => SignedUp | null) =>
  (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${t.baseUrl}/api/v1${path}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(user()?.auth ?? {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

/** Settings overrides that give a test file its own queues and fast polling and retries. */
export function fastWorkerSettings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    JOB_QUEUE_PREFIX: `pa_test_${randomBytes(5).toString('hex')}`,
    OUTBOX_POLL_INTERVAL_MS: '50',
    WEBHOOK_RETRY_BASE_DELAY_MS: '50',
    WEBHOOK_RETRY_MAX_DELAY_MS: '200',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    RATE_LIMIT_ENABLED: 'false',
    ...extra,
  };
}

/** The app's delivery queue, to look at jobs. */
export const deliveryQueue = (t: TestApp): JobQueue<DeliveryJobData> =>
  t.app.platform.jobs.queue<DeliveryJobData>(QUEUE_NAMES.webhookDeliveries);

/**
 * The worker on the app's parts. In embedded mode the app already runs it in its own process (the
 * embedded database serves one process), so there is nothing to start or stop.
 */
export async function startWorker(app: FastifyInstance, concurrency?: number): Promise<{ close(): Promise<void> }> {
  if (embedded) return { close: async () => {} };
  return runWorker({ settings: app.platform.settings, platform: app.platform, ...(concurrency !== undefined && { concurrency }) });
}

export type RedisProxy = {
  /** `redis://127.0.0.1:<proxy port>/<db>` */
  url(db: number): string;
  /** Refuses new connections and cuts the open ones, as a Redis that went away. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
};

/** A TCP proxy to the real Redis, so a test can take "Redis" away without touching the server others use. */
export async function startRedisProxy(target: string): Promise<RedisProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port || 6379), hostname === 'localhost' ? '127.0.0.1' : hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyPort = (server.address() as AddressInfo).port;
  let listening = true;
  const down = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    url: (db) => `redis://127.0.0.1:${proxyPort}/${db}`,
    down,
    async up() {
      if (listening) return;
      await new Promise<void>((resolve) => server.listen(proxyPort, '127.0.0.1', resolve));
      listening = true;
    },
    close: down,
  };
}
