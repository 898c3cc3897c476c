// The outbox relay without a delivery worker: what it enqueues, for whom, and that two relays
// racing over the same rows (or a round repeated) never enqueue a delivery twice.

import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '@personal-automations/db';
import {
  BullmqJobBackend,
  type DeliveryJobData,
  deliveryIdFor,
  publishEvent,
  QUEUE_NAMES,
  queueLocation,
  receives,
  retryDelayMs,
} from '@personal-automations/services';
import { OutboxRelay } from '../src/outbox-relay.ts';
import { createUser, openQueue, useWorkerTest } from './helpers.ts';

const t = useWorkerTest({ OUTBOX_BATCH_SIZE: '7' });
let backend: BullmqJobBackend;
let queue: Queue<DeliveryJobData>;
const relay = () =>
  new OutboxRelay({
    db: t.db,
    queue: backend.queue<DeliveryJobData>(QUEUE_NAMES.webhookDeliveries),
    settings: t.settings,
    logger: pino({ level: 'silent' }),
  });
beforeAll(() => {
  backend = new BullmqJobBackend(queueLocation(t.settings));
  queue = openQueue(t.settings, QUEUE_NAMES.webhookDeliveries);
});
afterAll(async () => {
  await queue?.close();
  await backend?.close();
});

const hook = (userId: string | null, events: string[], isActive = true) =>
  t.db.webhook.create({ data: { userId, name: 'h', url: 'http://127.0.0.1:9/none', events, isActive, secret: 's'.repeat(43) } });
const publish = (type: Parameters<typeof publishEvent>[1], data: Record<string, unknown>) =>
  t.db.$transaction((tx: Prisma.TransactionClient) => publishEvent(tx, type, data));
const relayAll = async (r: OutboxRelay) => {
  while ((await r.relayBatch()) > 0);
};

describe('OutboxRelay', () => {
  it('two relays racing over the same rows enqueue each (event, webhook) exactly once, and mark every row dispatched once', async () => {
    const owner = await createUser(t.db);
    const [a, b] = [await hook(owner.id, ['item.created']), await hook(null, ['item.created', 'item.updated'])];
    for (let i = 0; i < 40; i++) await publish('item.created', { id: `item-${i}`, title: `t${i}` });

    await Promise.all([relayAll(relay()), relayAll(relay()), relayAll(relay())]);

    const events = await t.db.outboxEvent.findMany({ where: { eventType: 'item.created' } });
    expect(events).toHaveLength(40);
    expect(events.every((e) => e.dispatchedAt !== null && e.attempts === 1 && e.lastError === null)).toBe(true);
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    const expected = events.flatMap((e) => [deliveryIdFor(e.id, a.id), deliveryIdFor(e.id, b.id)]).sort();
    expect(jobs.map((j) => j.id).sort()).toEqual(expected);
    const sample = jobs.find((j) => j.id === deliveryIdFor(events[0]!.id, a.id))!;
    expect(sample.data).toMatchObject({ webhookId: a.id, eventType: 'item.created' });
    expect(sample.data.body).toMatch(/^\{"event": "item\.created", "timestamp": "[^"]+\+00:00", "data": \{/);
    expect(sample.opts).toMatchObject({ attempts: 5, backoff: { type: 'worker' } });

    // a round repeated after a lost commit (rows undispatched again) adds no job
    await t.db.outboxEvent.updateMany({ data: { dispatchedAt: null } });
    await relayAll(relay());
    expect(await queue.getJobCountByTypes('waiting', 'prioritized', 'delayed')).toBe(80);
  });

  it('marks events nobody receives as dispatched without enqueuing anything', async () => {
    await queue.obliterate({ force: true });
    await hook(null, ['item.created'], false); // inactive
    await publish('item.deleted', { id: 'nobody-listens' });
    await relayAll(relay());
    const row = await t.db.outboxEvent.findFirstOrThrow({ where: { eventType: 'item.deleted' } });
    expect(row.dispatchedAt).not.toBeNull();
    expect(await queue.getJobCountByTypes('waiting', 'prioritized', 'delayed')).toBe(0);
  });
});

describe('who receives an event', () => {
  const subscriber = (userId: string | null, ownerIsAdmin = false, events = ['item.created', 'user.updated', 'conversation.created']) => ({
    id: 'w',
    userId,
    events,
    ownerIsAdmin,
  });
  it('items: every subscribed webhook; users: the user’s own and admins’; conversations: the owner’s', () => {
    expect(receives(subscriber('u1'), 'item.created', { id: 'i' })).toBe(true);
    expect(receives(subscriber(null), 'item.created', { id: 'i' })).toBe(true);
    expect(receives(subscriber('u1', false, ['item.updated']), 'item.created', { id: 'i' })).toBe(false);
    expect(receives(subscriber('u1'), 'user.updated', { id: 'u1' })).toBe(true);
    expect(receives(subscriber('u2'), 'user.updated', { id: 'u1' })).toBe(false);
    expect(receives(subscriber('u2', true), 'user.updated', { id: 'u1' })).toBe(true);
    expect(receives(subscriber(null), 'user.updated', { id: 'u1' })).toBe(false);
    expect(receives(subscriber('u1'), 'conversation.created', { id: 'c', user_id: 'u1' })).toBe(true);
    expect(receives(subscriber('u2', true), 'conversation.created', { id: 'c', user_id: 'u1' })).toBe(false);
    expect(receives(subscriber(null), 'conversation.created', { id: 'c', user_id: null })).toBe(false);
  });
});

describe('retry backoff', () => {
  it('doubles from the base, with jitter between half and all of the step, up to the cap', () => {
    const base = 30_000;
    const max = 3_600_000;
    expect(retryDelayMs(1, base, max, () => 0)).toBe(15_000);
    expect(retryDelayMs(1, base, max, () => 1)).toBe(30_000);
    expect(retryDelayMs(3, base, max, () => 0)).toBe(60_000);
    expect(retryDelayMs(3, base, max, () => 1)).toBe(120_000);
    expect(retryDelayMs(20, base, max, () => 1)).toBe(max);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(2, base, max)));
    expect(spread.size).toBeGreaterThan(1);
    for (const delay of spread) expect(delay >= 30_000 && delay <= 60_000).toBe(true);
  });

  it('delivery ids are UUIDs derived from the event and the webhook', () => {
    const id = deliveryIdFor('0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', '5d0b6a2e-0000-4000-8000-000000000000');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryIdFor('0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', '5d0b6a2e-0000-4000-8000-000000000000')).toBe(id);
    expect(deliveryIdFor('0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', '5d0b6a2e-0000-4000-8000-000000000001')).not.toBe(id);
  });
});
