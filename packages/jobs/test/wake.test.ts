// No polling on an event's way: with the relay's and the jobs table's polls a minute apart, an
// event committed through PostgreSQL is still delivered at once, because the commit notifies the
// relay (LISTEN/NOTIFY) and the relay tells its process's workers of the jobs it committed. The
// listening connection, cut, comes back and catches up. Runs on BullMQ and on the jobs table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '@personal-automations/db';
import { publishEvent } from '@personal-automations/services';
import { type Receiver, startReceiver } from '@personal-automations/testing';
import { runWorker, type Stoppable } from '../src/index.ts';
import { OUTBOX_CHANNEL } from '../src/worker.ts';
import { useWorkerTest, waitUntil } from './helpers.ts';

const t = useWorkerTest({ OUTBOX_POLL_INTERVAL_MS: '60000', JOB_POLL_INTERVAL_MS: '60000' });
let receiver: Receiver;
let worker: Stoppable | undefined;
beforeAll(async () => {
  receiver = await startReceiver();
  await t.db.webhook.create({ data: { name: 'w', url: receiver.url, events: ['item.created'], secret: 's'.repeat(43) } });
  worker = await runWorker({ settings: t.settings });
});
afterAll(async () => {
  await worker?.close();
  await receiver?.close();
});

const listening = () =>
  t.db.$queryRaw<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = ${`LISTEN "${OUTBOX_CHANNEL}"`}`;
const publish = (id: string) => t.db.$transaction((tx: Prisma.TransactionClient) => publishEvent(tx, 'item.created', { id, title: id }));
const receivedTitles = () => receiver.requests.map((r) => JSON.parse(r.body).data.title as string);

// The waits are far below the polls' minute: only a wake-up delivers in time.
describe('the relay woken by the commit', { timeout: 60_000 }, () => {
  it('delivers an event committed while everything idles, without waiting for a poll', async () => {
    await waitUntil('the relay to listen', async () => (await listening()).length === 1);
    await publish('first');
    await waitUntil('the first event to arrive', () => receivedTitles().includes('first'), 20_000);
    await publish('second');
    await waitUntil('the second event to arrive', () => receivedTitles().includes('second'), 20_000);
  });

  it('listens again after its connection is cut, and finds what was committed meanwhile', async () => {
    const [before] = await listening();
    await t.db.$queryRaw`SELECT pg_terminate_backend(${before!.pid}::int)`;
    await publish('while-away');
    await waitUntil('the relay to listen again', async () => {
      const now = await listening();
      return now.length === 1 && now[0]!.pid !== before!.pid;
    });
    await waitUntil('the event to arrive', () => receivedTitles().includes('while-away'), 20_000);
    await publish('after');
    await waitUntil('the next event to arrive', () => receivedTitles().includes('after'), 20_000);
    expect(receivedTitles().filter((title) => title === 'while-away')).toHaveLength(1);
  });
});
