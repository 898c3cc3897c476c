// At-least-once delivery across a worker process killed mid-burst: SIGKILL leaves no time for
// anything (no shutdown, the relay's transaction cut, attempts in flight unanswered), and after a
// restart every event still reaches its receivers, each (event, webhook) with exactly one delivery
// row, delivered. It runs on BullMQ (a job whose worker died is stalled and taken again) and with
// TEST_MODE=jobs-table (its lease expires); JOB_LEASE_SECONDS is short so that happens quickly.
import { afterAll, describe, expect, it } from 'vitest';
import { deliveryIdFor } from '@personal-automations/services';
import { type Receiver, startReceiver } from '@personal-automations/testing';
import { startProcess, useWorkerTest, waitUntil } from './helpers.ts';

const t = useWorkerTest();
const EVENTS = 150;
/** Requests the receiver answers before it holds the rest back until the kill. */
const ANSWERED = 40;
const workerEnv = { JOB_LEASE_SECONDS: '2', OUTBOX_BATCH_SIZE: '25', WEBHOOK_ALLOW_PRIVATE_URLS: 'true', LOG_LEVEL: 'warn' };

let receiver: Receiver | undefined;
afterAll(async () => {
  await receiver?.close();
});

const hook = (url: string, name: string) => t.db.webhook.create({ data: { name, url, events: ['item.created'], secret: 's'.repeat(43) } });

describe('a worker killed mid-burst', { timeout: 180_000 }, () => {
  it('after a restart every event reached the receiver, and no delivery row is duplicated or lost', async () => {
    let releaseHeld: () => void = () => {};
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    receiver = await startReceiver(async (n) => {
      if (n >= ANSWERED) await held;
      return { status: 200, body: 'ok' };
    });
    const hooks = [await hook(`${receiver.url}/a`, 'a'), await hook(`${receiver.url}/b`, 'b')];
    await t.db.outboxEvent.createMany({
      data: Array.from({ length: EVENTS }, (_, i) => ({ eventType: 'item.created', payload: { id: `burst-${i}`, title: `t${i}` } })),
    });
    const events = await t.db.outboxEvent.findMany({ select: { id: true } });
    const expected = events.flatMap((e) => hooks.map((h) => deliveryIdFor(e.id, h.id))).sort();

    const first = startProcess(t.settings, 'worker', workerEnv);
    try {
      // some answered, some in flight (held), most still queued or not yet relayed
      await waitUntil('attempts to be in flight', () => receiver!.requests.length >= ANSWERED + 5);
      first.child.kill('SIGKILL');
      expect(await first.exit).toBeNull();
    } finally {
      first.child.kill('SIGKILL');
    }
    expect(await t.db.webhookDelivery.count({ where: { success: true } })).toBeLessThan(expected.length);
    releaseHeld();

    const second = startProcess(t.settings, 'worker', workerEnv);
    try {
      await waitUntil(
        'every delivery to succeed',
        async () => (await t.db.webhookDelivery.count({ where: { success: true } })) === expected.length,
        120_000,
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exit;
    }
    const rows = await t.db.webhookDelivery.findMany({ select: { id: true, success: true, attemptCount: true } });
    expect(rows.map((r) => r.id).sort()).toEqual(expected);
    expect(rows.every((r) => r.success && r.attemptCount >= 1)).toBe(true);
    const receivedIds = new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])));
    expect([...receivedIds].sort()).toEqual(expected);
  });
});
