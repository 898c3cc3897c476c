import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type Database } from '@personal-automations/db';
import { useTestDatabase } from '@personal-automations/testing';
import { NotFoundError } from '../src/errors.ts';
import { ItemService } from '../src/items.ts';

const database = useTestDatabase();
let db: Database;
let items: ItemService;
beforeAll(() => {
  db = createPrismaClient({ url: database.url });
  items = new ItemService(db);
});
afterAll(async () => {
  await db?.$disconnect();
});

describe('ItemService', () => {
  it('creates active items with updated_at null, and reads them back', async () => {
    const created = await items.create({ title: 'one', description: null });
    expect(created).toMatchObject({ title: 'one', description: null, is_active: true, updated_at: null });
    expect(await items.get(created.id)).toEqual(created);
    const row = await db.item.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.updatedAt).toBeNull();
  });

  it('updates only the given fields and stamps updated_at', async () => {
    const created = await items.create({ title: 'two', description: 'desc' });
    const updated = await items.update(created.id, { is_active: false });
    expect(updated).toMatchObject({ title: 'two', description: 'desc', is_active: false });
    expect(Date.parse(updated.updated_at!)).toBeGreaterThanOrEqual(Date.parse(created.created_at));
    expect(await items.update(created.id, { description: null })).toMatchObject({ description: null, is_active: false });
  });

  it('raises NotFoundError with the id for unknown items', async () => {
    const id = '5d0b6a2e-0000-4000-8000-000000000000';
    for (const call of [() => items.get(id), () => items.update(id, { title: 'x' }), () => items.delete(id)]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'Item not found', details: { item_id: id } });
    }
  });

  it('deletes', async () => {
    const created = await items.create({ title: 'three' });
    await items.delete(created.id);
    expect(await db.item.count({ where: { id: created.id } })).toBe(0);
  });

  it('pages with total and pages = ceil(total / size), 0 pages when empty', async () => {
    await db.item.deleteMany();
    expect(await items.list({ page: 1, size: 10 })).toEqual({ items: [], total: 0, page: 1, size: 10, pages: 0 });
    for (let i = 0; i < 5; i++) await items.create({ title: `p${i}` });
    const second = await items.list({ page: 2, size: 2 });
    expect(second).toMatchObject({ total: 5, page: 2, size: 2, pages: 3 });
    expect(second.items.map((i) => i.title)).toEqual(['p2', 'p3']);
  });
});

describe('ItemService.list rows (written as JSON by PostgreSQL)', () => {
  it('gives every item exactly as get() does, awkward text, nulls and milliseconds included, in (created_at, id) order', async () => {
    await db.item.deleteMany();
    const awkward = ['quote " backslash \\ slash /', 'line\nfeed\r\ttab \u0001\u001f', 'é 中文 😀 \u2028\u2029', '{"json": [1]}', "it's"];
    const sameInstant = new Date('2025-03-04T05:06:07.891Z');
    for (const [i, title] of awkward.entries()) {
      const created = await items.create({ title, description: i % 2 ? null : `${title} (description)` });
      // two items share created_at, so the order falls back to the id
      await db.item.update({
        where: { id: created.id },
        data: { createdAt: i < 2 ? sameInstant : new Date(Date.UTC(2025, 0, 1, 0, 0, i, 5)) },
      });
    }
    await items.update((await db.item.findFirstOrThrow({ where: { title: "it's" } })).id, { is_active: false });
    const expected = await Promise.all(
      (await db.item.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((item) => items.get(item.id)),
    );
    const page = await items.list({ page: 1, size: 10 });
    expect(page).toEqual({ items: expected, total: awkward.length, page: 1, size: 10, pages: 1 });
    // byte for byte: the same keys in the same order, the same text
    expect(JSON.stringify(page.items)).toBe(JSON.stringify(expected));
    expect(page.items.some((item) => item.updated_at?.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/))).toBe(true);
  });

  it('gives a page past the end no items and the total', async () => {
    const total = await db.item.count();
    expect(total).toBeGreaterThan(0);
    expect(await items.list({ page: 50, size: 10 })).toEqual({ items: [], total, page: 50, size: 10, pages: Math.ceil(total / 10) });
  });
});

describe('ItemService events', () => {
  it('writes item.created / item.updated / item.deleted to the outbox with the change', async () => {
    await db.outboxEvent.deleteMany();
    const created = await items.create({ title: 'evented' });
    await items.update(created.id, { title: 'renamed' });
    await items.delete(created.id);
    const events = await db.outboxEvent.findMany({ orderBy: { createdAt: 'asc' } });
    expect(events.map((e) => e.eventType)).toEqual(['item.created', 'item.updated', 'item.deleted']);
    expect(events[1]!.payload).toMatchObject({ id: created.id, title: 'renamed' });
    expect(events.every((e) => e.dispatchedAt === null)).toBe(true);
  });

  it('writes no event when the change fails', async () => {
    await db.outboxEvent.deleteMany();
    await items.update('5d0b6a2e-0000-4000-8000-00000000beef', { title: 'x' }).catch(() => {});
    expect(await db.outboxEvent.count()).toBe(0);
  });
});
