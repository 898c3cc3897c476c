// One slow receiver cannot hold the others back: the delivery worker keeps at most
// WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT attempts in flight to one receiver, and an attempt over that
// bound is deferred (its job goes back to the queue without counting as an attempt), so the worker's
// other slots keep delivering to everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import { fastWorkerSettings, type Receiver, restAs, startReceiver, startWorker, waitUntil } from './webhooks-support.ts';

const t = useTestApp(fastWorkerSettings({ WEBHOOK_CONCURRENCY: '4', WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '2' }));
let worker: { close(): Promise<void> } | undefined;
let user: SignedUp;
const receivers: Receiver[] = [];
let releaseSlow: () => void = () => {};
beforeAll(async () => {
  worker = await startWorker(t.app);
  user = await signUp(t);
});
afterAll(async () => {
  releaseSlow();
  await worker?.close();
  await Promise.all(receivers.map((r) => r.close()));
});

const api = (method: string, path: string, body?: unknown) => restAs(t, () => user)(method, path, body);

async function subscribe(reply?: Receiver['reply']) {
  const receiver = await startReceiver(reply);
  receivers.push(receiver);
  const created = await api('POST', '/webhooks', { name: 'endpoint', url: receiver.url, events: ['item.created'] });
  expect(created.status).toBe(201);
  return { receiver, id: ((await created.json()) as { id: string }).id };
}

describe('a slow receiver (WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT)', { timeout: 120_000 }, () => {
  it('holds at most its bound of the worker’s slots: the others are delivered meanwhile, and it gets everything later', async () => {
    const held = new Promise<void>((resolve) => (releaseSlow = resolve));
    const slow = await subscribe(async () => {
      await held;
      return { status: 200 };
    });
    const fast = await subscribe();
    const ITEMS = 10;
    for (let i = 0; i < ITEMS; i++) expect((await api('POST', '/items', { title: `item ${i}` })).status).toBe(201);

    await waitUntil('the fast receiver to get every event', () => fast.receiver.requests.length === ITEMS);
    expect(slow.receiver.requests.length).toBeLessThanOrEqual(2);

    releaseSlow();
    const slowRows = () => t.db.webhookDelivery.findMany({ where: { webhookId: slow.id } });
    await waitUntil('the slow receiver’s deliveries to succeed', async () => {
      const rows = await slowRows();
      return rows.length === ITEMS && rows.every((row) => row.success);
    });
    // deferred tries were not attempts: each delivery was sent, and counted, once
    expect((await slowRows()).map((row) => row.attemptCount)).toEqual(Array(ITEMS).fill(1));
    expect(slow.receiver.requests).toHaveLength(ITEMS);
  });
});
