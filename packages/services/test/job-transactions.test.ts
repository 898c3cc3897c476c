// Adding jobs inside the caller's database transaction is a capability, not a promise of every job
// backend: the jobs table has it (database-jobs.test.ts shows commit and rollback); BullMQ, whose
// jobs are in Redis, refuses it loudly instead of adding the jobs outside the transaction.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Database, type Prisma } from '@personal-automations/db';
import { useTestDatabase } from '@personal-automations/testing';
import { type JobBackend, TransactionalEnqueueError } from '../src/jobs/backend.ts';
import { BullmqJobBackend } from '../src/jobs/bullmq-backend.ts';
import { DatabaseJobBackend } from '../src/jobs/database-backend.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
const PREFIX = `pa_test_${randomBytes(5).toString('hex')}`;
const database = useTestDatabase();
let db: Database;
// typed as the platform types its backend: either may be asked for a transaction
let bullmq: JobBackend<Prisma.TransactionClient>;
let table: JobBackend<Prisma.TransactionClient>;

beforeAll(() => {
  db = createPrismaClient({ url: database.url, maxConnections: 2 });
  bullmq = new BullmqJobBackend({ url: REDIS_URL, prefix: PREFIX });
  table = new DatabaseJobBackend(db);
});
afterAll(async () => {
  await bullmq?.close();
  await table?.close();
  await db?.$disconnect();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('transactional enqueue', () => {
  it('each queue says whether it can join a transaction: the jobs table can, BullMQ cannot', () => {
    expect(table.queue('q').joinsTransactions).toBe(true);
    expect(bullmq.queue('q').joinsTransactions).toBe(false);
  });

  it('BullMQ asked to add jobs inside a transaction throws TransactionalEnqueueError and adds nothing', async () => {
    const queue = bullmq.queue('q');
    const asked = db.$transaction((tx) => queue.addBulk([{ name: 'in-tx', data: {}, options: { jobId: 'refused' } }], { transaction: tx }));
    await expect(asked).rejects.toBeInstanceOf(TransactionalEnqueueError);
    await expect(asked).rejects.toThrow('Queue "q" cannot add jobs inside a database transaction');
    expect(await queue.getJob('refused')).toBeNull();
    // without a transaction it adds them as before
    await queue.addBulk([{ name: 'plain', data: {}, options: { jobId: 'added' } }]);
    expect(await queue.getJob('added')).toMatchObject({ name: 'plain', state: 'waiting' });
  });
});
