// Redis outages: the API and the worker reach Redis only through a proxy this file can cut. A
// change made while Redis is unreachable still commits (its event waits in the outbox) and is
// delivered once Redis is back, whether the worker was stopped or running during the outage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, readEnvFile } from '@personal-automations/config';
import { runWorker } from '@personal-automations/jobs';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import {
  fastWorkerSettings,
  type Receiver,
  type RedisProxy,
  removeQueues,
  restAs,
  startReceiver,
  startRedisProxy,
  waitUntil,
} from './webhooks-support.ts';

// The real queue Redis, from the environment, sits behind the proxy.
const realBroker = loadSettings({ ...readEnvFile(), ...process.env }).TASKIQ_BROKER_URL;
const proxy: RedisProxy = await startRedisProxy(realBroker);
const brokerDb = Number(new URL(realBroker).pathname.slice(1) || 0);
const t = useTestApp(fastWorkerSettings({ TASKIQ_BROKER_URL: proxy.url(brokerDb), REDIS_URL: proxy.url(0) }));

let user: SignedUp;
const api = restAs(t, () => user);
let receiver: Receiver;
let webhookId: string;
beforeAll(async () => {
  user = await signUp(t);
  receiver = await startReceiver();
  webhookId = (await (await api('POST', '/webhooks', { name: 'outage', url: receiver.url, events: ['item.created'] })).json()).id;
});
afterAll(async () => {
  await proxy.up();
  await receiver?.close();
  if (t.settings) await removeQueues(t.settings);
  await proxy.close();
});

const createItem = async (title: string) => {
  const res = await api('POST', '/items', { title });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
};
const outboxRow = (itemId: string) =>
  t.db.outboxEvent.findFirstOrThrow({ where: { eventType: 'item.created', payload: { path: ['id'], equals: itemId } } });
const deliveredTo = (itemId: string) => receiver.requests.some((r) => JSON.parse(r.body).data.id === itemId);
const redisReachableFromApi = async () => (await fetch(`${t.baseUrl}/api/v1/health/ready`)).status === 200;

describe('Redis outages', { timeout: 90_000 }, () => {
  it('with the worker stopped and Redis down, a change commits; its event is delivered once both are back', async () => {
    await proxy.down();
    expect(await redisReachableFromApi()).toBe(false);
    const item = await createItem('made during the outage');
    expect(await t.db.item.count({ where: { id: item.id } })).toBe(1);
    expect((await outboxRow(item.id)).dispatchedAt).toBeNull();

    // the worker comes back first, Redis still down: the relay tries, fails, keeps the event
    const worker = await runWorker({ settings: t.settings });
    try {
      const failed = await waitUntil('a failed relay round', async () => {
        const row = await outboxRow(item.id);
        return row.attempts > 0 && row;
      });
      expect(failed.dispatchedAt).toBeNull();
      expect(failed.lastError).toMatch(/Job queue unavailable|Redis|ECONNREFUSED|Connection/i);
      expect(receiver.requests).toHaveLength(0);

      await proxy.up();
      await waitUntil('the delivery after Redis came back', () => deliveredTo(item.id));
      expect((await outboxRow(item.id)).dispatchedAt).not.toBeNull();
      // the row is written after the receiver answered: wait for it, then there is exactly one
      const successes = () => t.db.webhookDelivery.count({ where: { webhookId, success: true } });
      await waitUntil('the delivery logged as a success', async () => (await successes()) > 0);
      expect(await successes()).toBe(1);
      expect(await redisReachableFromApi()).toBe(true);
    } finally {
      await proxy.up();
      await worker.close();
    }
  });

  it('with the worker running, Redis dropping and coming back loses nothing and sends nothing twice', async () => {
    const worker = await runWorker({ settings: t.settings });
    try {
      const before = await createItem('before the outage');
      await waitUntil('the delivery before the outage', () => deliveredTo(before.id));

      await proxy.down();
      const during = await createItem('during the outage');
      await waitUntil('a failed relay round', async () => (await outboxRow(during.id)).attempts > 0);
      expect(deliveredTo(during.id)).toBe(false);

      await proxy.up();
      await waitUntil('the delivery after the outage', () => deliveredTo(during.id));
      const ids = receiver.requests.map((r) => JSON.parse(r.body).data.id as string);
      expect(ids.filter((id) => id === before.id)).toHaveLength(1);
      expect(ids.filter((id) => id === during.id)).toHaveLength(1);
    } finally {
      await proxy.up();
      await worker.close();
    }
  });
});
