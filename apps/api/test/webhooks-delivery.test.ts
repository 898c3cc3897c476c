// Domain events end to end: a change through REST → outbox row → relay → BullMQ → delivery worker
// → a receiver on 127.0.0.1, with the real worker (runWorker), PostgreSQL and Redis.
import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor } from '@personal-automations/services';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import {
  deliveryQueue,
  fastWorkerSettings,
  type Receiver,
  removeQueues,
  restAs,
  startReceiver,
  startWorker,
  waitForJobState,
  waitUntil,
} from './webhooks-support.ts';

const t = useTestApp(fastWorkerSettings());
let worker: { close(): Promise<void> } | undefined;
let user: SignedUp;
const receivers: Receiver[] = [];
beforeAll(async () => {
  worker = await startWorker(t.app, 4);
  user = await signUp(t);
});
afterAll(async () => {
  await worker?.close();
  await Promise.all(receivers.map((r) => r.close()));
  if (t.settings) await removeQueues(t.settings);
});

const api = (who: SignedUp, method: string, path: string, body?: unknown) =>
  restAs(t, () => who)(method, path, body).then(async (res) => ({
    status: res.status,
    body: res.status === 204 ? null : await res.json(),
  }));

async function receiver(reply?: Receiver['reply']) {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

async function webhook(who: SignedUp, url: string, events: string[], extra: Record<string, unknown> = {}) {
  const created = await api(who, 'POST', '/webhooks', { name: 'e2e', url, events });
  expect(created.status).toBe(201);
  if (Object.keys(extra).length) expect((await api(who, 'PATCH', `/webhooks/${created.body.id}`, extra)).status).toBe(200);
  const { secret } = (await api(who, 'POST', `/webhooks/${created.body.id}/regenerate-secret`)).body;
  return { id: created.body.id as string, secret: secret as string };
}

const outboxRowOf = (type: string, id: string) =>
  t.db.outboxEvent.findFirst({ where: { eventType: type, payload: { path: ['id'], equals: id } } });

/** No job exists and no row was logged for this webhook and event: it was never enqueued. */
async function expectNothingFor(webhookId: string, outboxEventId: string, r: Receiver) {
  const queue = deliveryQueue(t);
  expect(await queue.getJob(deliveryIdFor(outboxEventId, webhookId))).toBeNull();
  expect(await t.db.webhookDelivery.count({ where: { webhookId } })).toBe(0);
  expect(r.requests).toHaveLength(0);
}

describe('event delivery', { timeout: 90_000 }, () => {
  it('an item created via REST reaches a subscribed receiver, signed (both schemes), logged as one successful attempt', async () => {
    const r = await receiver();
    const hook = await webhook(user, r.url, ['item.created']);
    const item = (await api(user, 'POST', '/items', { title: 'Café ☕', description: 'hot' })).body;

    const [request] = await waitUntil('the delivery', () => r.requests.length > 0 && r.requests);
    expect(request!.headers).toMatchObject({ 'content-type': 'application/json', 'x-webhook-event': 'item.created' });
    expect(request!.body.startsWith('{"event": "item.created", "timestamp": "')).toBe(true);
    expect(request!.body).toContain('"title": "Caf\\u00e9 \\u2615"');
    const body = JSON.parse(request!.body);
    expect(body.data).toEqual(item);
    expect(body.timestamp).toMatch(/\+00:00$/);

    expect(request!.headers['x-webhook-signature']).toBe(`sha256=${createHmac('sha256', hook.secret).update(request!.body).digest('hex')}`);
    const standard = new StandardWebhook(`whsec_${Buffer.from(hook.secret).toString('base64')}`);
    expect(() => standard.verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();

    const row = await waitUntil('the logged attempt', () =>
      t.db.webhookDelivery.findFirst({ where: { webhookId: hook.id, success: true } }),
    );
    const event = await outboxRowOf('item.created', item.id);
    expect(row.id).toBe(deliveryIdFor(event!.id, hook.id));
    expect(request!.headers['webhook-id']).toBe(row.id);
    expect(row).toMatchObject({
      eventType: 'item.created',
      attemptCount: 1,
      responseStatus: 200,
      responseBody: 'ok',
      errorMessage: null,
      payload: request!.body,
    });
    expect(event!.dispatchedAt).not.toBeNull();
  });

  it('a receiver answering 500 three times then 200 ends with one row: attempt_count 4, success true', async () => {
    const r = await receiver((n) => (n < 3 ? { status: 500, body: `fail ${n}` } : { status: 200, body: 'finally' }));
    const hook = await webhook(user, r.url, ['item.updated']);
    const item = (await api(user, 'POST', '/items', { title: 'retry me' })).body;
    await api(user, 'PATCH', `/items/${item.id}`, { title: 'retried' });

    const row = await waitUntil('the successful fourth attempt', () =>
      t.db.webhookDelivery.findFirst({ where: { webhookId: hook.id, success: true } }),
    );
    expect(row).toMatchObject({ attemptCount: 4, responseStatus: 200, responseBody: 'finally', errorMessage: null });
    expect(await t.db.webhookDelivery.count({ where: { webhookId: hook.id } })).toBe(1);
    expect(r.requests).toHaveLength(4);
    // every attempt is the same message: same id and body, each signed afresh
    expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([row.id]));
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
    const log = (await api(user, 'GET', `/webhooks/${hook.id}/deliveries`)).body;
    expect(log.items).toEqual([
      expect.objectContaining({ id: row.id, attempt_count: 4, success: true, response_status: 200, event_type: 'item.updated' }),
    ]);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS (5): the row keeps the last failure', async () => {
    const r = await receiver(() => ({ status: 503, body: 'down' }));
    const hook = await webhook(user, r.url, ['item.deleted']);
    const item = (await api(user, 'POST', '/items', { title: 'doomed' })).body;
    await api(user, 'DELETE', `/items/${item.id}`);
    const row = await waitUntil('five attempts', () => t.db.webhookDelivery.findFirst({ where: { webhookId: hook.id, attemptCount: 5 } }));
    const queue = deliveryQueue(t);
    const job = await waitForJobState(queue, row.id, 'failed');
    expect(job.attemptsMade).toBe(5);
    expect(await t.db.webhookDelivery.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      success: false,
      responseStatus: 503,
      attemptCount: 5,
    });
    expect(r.requests).toHaveLength(5);
  });

  it('an unsubscribed or inactive webhook gets nothing', async () => {
    const [subscribed, inactive, unsubscribed] = [await receiver(), await receiver(), await receiver()];
    const control = await webhook(user, subscribed.url, ['item.created']);
    const off = await webhook(user, inactive.url, ['item.created'], { is_active: false });
    const other = await webhook(user, unsubscribed.url, ['item.deleted', 'user.updated']);
    const item = (await api(user, 'POST', '/items', { title: 'selective' })).body;

    await waitUntil('the subscribed delivery', () => subscribed.requests.some((q) => q.body.includes(item.id)));
    const event = await waitUntil('the event to be relayed', async () => {
      const row = await outboxRowOf('item.created', item.id);
      return row?.dispatchedAt && row;
    });
    // the relay enqueues all of an event's jobs at once, so by now the others would exist
    await expectNothingFor(off.id, event.id, inactive);
    await expectNothingFor(other.id, event.id, unsubscribed);
    expect(control.id).toBeDefined();
  });

  it('user.* events go to the user’s own webhooks and to admins’, not to other users’', async () => {
    const [admin, bystander] = [await signUp(t, { role: 'admin' }), await signUp(t)];
    const [adminR, selfR, bystanderR] = [await receiver(), await receiver(), await receiver()];
    await webhook(admin, adminR.url, ['user.updated']);
    await webhook(user, selfR.url, ['user.updated']);
    const bystanderHook = await webhook(bystander, bystanderR.url, ['user.updated']);
    expect((await api(user, 'PATCH', '/users/me', { full_name: 'Renamed' })).status).toBe(200);

    await waitUntil('the owner’s and the admin’s deliveries', () => selfR.requests.length === 1 && adminR.requests.length === 1);
    expect(JSON.parse(selfR.requests[0]!.body).data).toMatchObject({ id: user.id, full_name: 'Renamed' });
    const event = await waitUntil('the event to be relayed', async () => {
      const row = await outboxRowOf('user.updated', user.id);
      return row?.dispatchedAt && row;
    });
    await expectNothingFor(bystanderHook.id, event.id, bystanderR);
  });

  it('conversation.created goes to the owner’s webhooks only', async () => {
    const stranger = await signUp(t);
    const [ownerR, strangerR] = [await receiver(), await receiver()];
    await webhook(user, ownerR.url, ['conversation.created']);
    const strangerHook = await webhook(stranger, strangerR.url, ['conversation.created']);
    const created = await api(user, 'POST', '/conversations', { title: 'Mine' });
    expect(created.status).toBe(201);

    await waitUntil('the owner’s delivery', () => ownerR.requests.length === 1);
    expect(JSON.parse(ownerR.requests[0]!.body)).toMatchObject({
      event: 'conversation.created',
      data: { id: created.body.id, user_id: user.id, title: 'Mine' },
    });
    const event = await waitUntil('the event to be relayed', async () => {
      const row = await outboxRowOf('conversation.created', created.body.id);
      return row?.dispatchedAt && row;
    });
    await expectNothingFor(strangerHook.id, event.id, strangerR);
  });

  it('deleting a webhook while an attempt is in flight ends its delivery: no retry, no log row left', async () => {
    let answerFirst: (reply: { status: number }) => void = () => {};
    const r = await receiver((n) => (n === 0 ? new Promise((resolve) => (answerFirst = resolve)) : { status: 500 }));
    const hook = await webhook(user, r.url, ['item.created']);
    await api(user, 'POST', '/items', { title: 'orphan' });
    await waitUntil('the first attempt to arrive', () => r.requests.length === 1);
    const row = await t.db.webhookDelivery.findFirstOrThrow({ where: { webhookId: hook.id } });
    expect((await api(user, 'DELETE', `/webhooks/${hook.id}`)).status).toBe(204);
    answerFirst({ status: 500 });

    const queue = deliveryQueue(t);
    const job = await waitForJobState(queue, row.id, 'completed');
    expect(job.result).toEqual({ status: 'skipped', reason: 'webhook deleted' });
    expect(r.requests).toHaveLength(1);
    expect(await t.db.webhookDelivery.count({ where: { webhookId: hook.id } })).toBe(0);
  });
});
