// The services tell a conflict, a vanished row and a dangling reference apart only through these
// predicates (409, 404, a skipped delivery), so each must recognise its own failure from a real
// PostgreSQL and no other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isForeignKeyViolation, isRecordNotFound, isUniqueViolation } from '../src/errors.ts';
import { createPrismaClient, type Database } from '../src/index.ts';
import { createTestDatabase } from './databases.ts';

const MISSING_ID = '5d0b6a2e-0000-4000-8000-000000000000';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createPrismaClient({ url: database.url });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const predicates = { isUniqueViolation, isForeignKeyViolation, isRecordNotFound, isDatabaseUnavailable };
const matching = (error: unknown) =>
  Object.entries(predicates)
    .filter(([, test]) => test(error))
    .map(([name]) => name);

describe('database error predicates', () => {
  it('a second row with a taken unique value is a unique violation', async () => {
    await db.user.create({ data: { email: 'taken@example.com' } });
    const error = await db.user.create({ data: { email: 'taken@example.com' } }).catch((e: unknown) => e);
    expect(matching(error)).toEqual(['isUniqueViolation']);
  });

  it('a row that references a missing one is a foreign key violation', async () => {
    const error = await db.webhookDelivery
      .create({ data: { webhookId: MISSING_ID, eventType: 'item.created', payload: '{}', attemptCount: 0 } })
      .catch((e: unknown) => e);
    expect(matching(error)).toEqual(['isForeignKeyViolation']);
  });

  it('updating or deleting a missing row is record-not-found', async () => {
    for (const change of [
      db.item.update({ where: { id: MISSING_ID }, data: { title: 'x' } }),
      db.item.delete({ where: { id: MISSING_ID } }),
    ]) {
      expect(matching(await change.catch((e: unknown) => e))).toEqual(['isRecordNotFound']);
    }
  });

  it('anything else is none of them', () => {
    expect(matching(new Error('boom'))).toEqual([]);
    expect(matching(null)).toEqual([]);
  });
});
