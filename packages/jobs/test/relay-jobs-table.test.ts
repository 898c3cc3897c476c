// The outbox relay on the jobs table, the queue that joins its transaction: the delivery jobs
// commit together with the outbox rows marked dispatched, and a round that fails after adding
// them leaves neither. Runs in both runs: it needs no Redis.
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '@personal-automations/db';
import {
  DatabaseJobBackend,
  type DeliveryJobData,
  deliveryIdFor,
  type JobQueue,
  publishEvent,
  QUEUE_NAMES,
} from '@personal-automations/services';
import { OutboxRelay } from '../src/outbox-relay.ts';
import { createUser, useWorkerTest } from './helpers.ts';

type DeliveryQueue = JobQueue<DeliveryJobData, unknown, Prisma.TransactionClient>;

const t = useWorkerTest();
let queue: DeliveryQueue;
beforeAll(() => {
  queue = new DatabaseJobBackend(t.db).queue<DeliveryJobData>(QUEUE_NAMES.webhookDeliveries);
});

const relay = (deliveries: DeliveryQueue) =>
  new OutboxRelay({ db: t.db, queue: deliveries, settings: t.settings, logger: pino({ level: 'silent' }) });
const publish = (id: string) => t.db.$transaction((tx: Prisma.TransactionClient) => publishEvent(tx, 'item.created', { id, title: id }));
const hook = async () => {
  const owner = await createUser(t.db);
  return t.db.webhook.create({
    data: { userId: owner.id, name: 'h', url: 'http://127.0.0.1:9/none', events: ['item.created'], secret: 's'.repeat(43) },
  });
};
const eventOf = (id: string) => t.db.outboxEvent.findFirstOrThrow({ where: { payload: { path: ['id'], equals: id } } });

describe('OutboxRelay on the jobs table', () => {
  it('adds the delivery jobs in its own transaction: a failed round leaves no job and the event undispatched; the next adds it once', async () => {
    const webhook = await hook();
    await publish('tx-item');
    const event = await eventOf('tx-item');
    const jobId = deliveryIdFor(event.id, webhook.id);

    // the jobs are inserted, then the round fails before its commit
    const failing: DeliveryQueue = {
      name: queue.name,
      joinsTransactions: true,
      add: (...args) => queue.add(...args),
      getJob: (id) => queue.getJob(id),
      counts: () => queue.counts(),
      announce: () => queue.announce(),
      addBulk: async (jobs, options) => {
        await queue.addBulk(jobs, options);
        throw new Error('lost before the commit');
      },
    };
    await expect(relay(failing).relayBatch()).rejects.toThrow('lost before the commit');
    expect(await queue.getJob(jobId)).toBeNull();
    expect(await eventOf('tx-item')).toMatchObject({ dispatchedAt: null, attempts: 1, lastError: 'lost before the commit' });

    expect(await relay(queue).relayBatch()).toBe(1);
    expect(await queue.getJob(jobId)).toMatchObject({
      name: 'item.created',
      state: 'waiting',
      data: { deliveryId: jobId, webhookId: webhook.id },
    });
    expect(await eventOf('tx-item')).toMatchObject({ attempts: 2, lastError: null });
    expect((await eventOf('tx-item')).dispatchedAt).not.toBeNull();
    expect(await t.db.job.count({ where: { queue: QUEUE_NAMES.webhookDeliveries } })).toBe(1);
  });
});
