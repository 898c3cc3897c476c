// The scheduler process's periodic jobs: registered in Redis, run at start, and they remove
// exactly what they should.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_JOBS, QUEUE_NAMES } from '@personal-automations/services';
import { runScheduler } from '../src/index.ts';
import { createUser, openQueue, useWorkerTest, waitUntil } from './helpers.ts';

const t = useWorkerTest({ SESSION_RETENTION_DAYS: '30', DELIVERY_RETENTION_DAYS: '14', MAINTENANCE_INTERVAL_SECONDS: '3600' });
const DAY = 24 * 3600 * 1000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const ahead = (days: number) => new Date(Date.now() + days * DAY);

type Seeded = { keep: string[]; remove: string[] };
const sessions: Seeded = { keep: [], remove: [] };
const deliveries: Seeded = { keep: [], remove: [] };
const outbox: Seeded = { keep: [], remove: [] };

beforeAll(async () => {
  const user = await createUser(t.db);
  const session = async (list: string[], data: { isActive: boolean; lastUsedAt: Date; expiresAt: Date }) => {
    const row = await t.db.session.create({ data: { userId: user.id, refreshTokenHash: randomUUID(), ...data } });
    list.push(row.id);
  };
  await session(sessions.remove, { isActive: true, lastUsedAt: ago(1), expiresAt: ago(1) }); // expired
  await session(sessions.remove, { isActive: false, lastUsedAt: ago(40), expiresAt: ahead(5) }); // revoked long ago
  await session(sessions.keep, { isActive: true, lastUsedAt: ago(40), expiresAt: ahead(5) }); // active, unexpired
  await session(sessions.keep, { isActive: false, lastUsedAt: ago(2), expiresAt: ahead(5) }); // rotated recently: still detects replays

  const webhook = await t.db.webhook.create({
    data: { userId: user.id, name: 'w', url: 'https://example.com/', events: ['item.created'], secret: 's'.repeat(43) },
  });
  const delivery = async (list: string[], createdAt: Date) => {
    const row = await t.db.webhookDelivery.create({ data: { webhookId: webhook.id, eventType: 'item.created', payload: '{}', createdAt } });
    list.push(row.id);
  };
  await delivery(deliveries.remove, ago(15));
  await delivery(deliveries.keep, ago(13));

  const event = async (list: string[], createdAt: Date, dispatchedAt: Date | null) => {
    const row = await t.db.outboxEvent.create({ data: { eventType: 'item.created', payload: {}, createdAt, dispatchedAt } });
    list.push(row.id);
  };
  await event(outbox.remove, ago(20), ago(20));
  await event(outbox.keep, ago(20), null); // never relayed: must not be lost
  await event(outbox.keep, ago(1), ago(1));
});

describe('scheduler', () => {
  let scheduler: { close(): Promise<void> } | undefined;
  afterAll(async () => {
    await scheduler?.close();
  });

  it('registers both periodic jobs and runs them at start: expired and old inactive sessions, old deliveries and relayed outbox rows go', async () => {
    scheduler = await runScheduler({ settings: t.settings });
    const queue = openQueue(t.settings, QUEUE_NAMES.maintenance);
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(Object.values(MAINTENANCE_JOBS).sort());
      expect(schedulers.every((s) => s.every === 3600 * 1000)).toBe(true);
      await waitUntil('both jobs to run', async () => (await queue.getJobCountByTypes('completed')) >= 2);
      expect(await queue.getJobCountByTypes('failed')).toBe(0);
    } finally {
      await queue.close();
    }
    const ids = async (rows: Promise<{ id: string }[]>) => (await rows).map((r) => r.id).sort();
    expect(await ids(t.db.session.findMany({ select: { id: true } }))).toEqual([...sessions.keep].sort());
    expect(await ids(t.db.webhookDelivery.findMany({ select: { id: true } }))).toEqual([...deliveries.keep].sort());
    expect(await ids(t.db.outboxEvent.findMany({ select: { id: true } }))).toEqual([...outbox.keep].sort());
  });

  it('a second scheduler (or a restart) does not register the jobs twice', async () => {
    const second = await runScheduler({ settings: t.settings });
    const queue = openQueue(t.settings, QUEUE_NAMES.maintenance);
    try {
      expect(await queue.getJobSchedulersCount()).toBe(2);
    } finally {
      await queue.close();
      await second.close();
    }
  });
});
