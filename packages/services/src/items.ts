import type { ItemCreate, ItemRead, ItemUpdate, Page, PageQuery } from '@personal-automations/contracts';
import { type Database, type Item, isRecordNotFound } from '@personal-automations/db';
import { CoalescedWindows } from './coalesced-windows.ts';
import { NotFoundError } from './errors.ts';
import { publishEvent } from './events.ts';
import { pageCount, type Window } from './pagination.ts';
import { ISO_OFFSET_SQL, isoOffset, isoOffsetOrNull } from './serialize.ts';

/** The contract's fields, in its order (the wire's key order), of a row read as ItemRead. */
const itemReadOf = (row: ItemRead): ItemRead => ({
  id: row.id,
  title: row.title,
  description: row.description,
  is_active: row.is_active,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export const toItemRead = (item: Item): ItemRead => ({
  id: item.id,
  title: item.title,
  description: item.description,
  is_active: item.isActive,
  created_at: isoOffset(item.createdAt),
  updated_at: isoOffsetOrNull(item.updatedAt),
});

/** Pages read together are merged into one statement while it reads at most this many rows (ten pages of the largest size). */
const MAX_COALESCED_ROWS = 1000;

/**
 * The example CRUD resource. Items are global (no owner): the items table has no owner column, as
 * the tables are kept as the original created them, so its databases keep working.
 */
export class ItemService {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  /**
   * A page of items. The busiest read of the API: the page and the total come from one statement
   * (the count as an init-plan subquery, computed once), one database round trip instead of two;
   * pages asked for together (a tRPC batch, or concurrent requests) share that statement; and the
   * rows come out of it in the contract's shape, timestamps already written (`iso_offset`).
   */
  async list({ page, size }: PageQuery): Promise<Page<ItemRead>> {
    const { rows, total } = await this.pages.read({ skip: (page - 1) * size, take: size });
    // a page past the end holds no row to carry the total
    const all = total ?? (await this.db.item.count());
    return { items: rows, total: all, page, size, pages: pageCount(all, size) };
  }

  private readonly pages = new CoalescedWindows(async ({ skip, take }: Window) => {
    const rows = await this.db.$queryRaw<Array<ItemRead & { total: number }>>`
      SELECT (SELECT count(*) FROM items)::int AS total, id, title, description, is_active,
             ${ISO_OFFSET_SQL('created_at')} AS created_at, ${ISO_OFFSET_SQL('updated_at')} AS updated_at
      FROM items -- the table's columns, not the text ones named alike above: a stable order
      ORDER BY items.created_at, items.id LIMIT ${take} OFFSET ${skip}`;
    return { rows: rows.map(itemReadOf), total: rows[0]?.total };
  }, MAX_COALESCED_ROWS);

  async create(input: ItemCreate): Promise<ItemRead> {
    return this.db.$transaction(async (tx) => {
      const item = toItemRead(await tx.item.create({ data: { title: input.title, description: input.description ?? null } }));
      await publishEvent(tx, 'item.created', item);
      return item;
    });
  }

  async get(itemId: string): Promise<ItemRead> {
    const item = await this.db.item.findUnique({ where: { id: itemId } });
    if (!item) throw new NotFoundError('Item not found', { item_id: itemId });
    return toItemRead(item);
  }

  async update(itemId: string, changes: ItemUpdate): Promise<ItemRead> {
    const data = {
      ...(changes.title !== undefined && { title: changes.title }),
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.is_active !== undefined && { isActive: changes.is_active }),
      updatedAt: new Date(),
    };
    return this.db
      .$transaction(async (tx) => {
        const item = toItemRead(await tx.item.update({ where: { id: itemId }, data }));
        await publishEvent(tx, 'item.updated', item);
        return item;
      })
      .catch(notFoundAs(itemId));
  }

  async delete(itemId: string): Promise<void> {
    await this.db
      .$transaction(async (tx) => {
        await publishEvent(tx, 'item.deleted', toItemRead(await tx.item.delete({ where: { id: itemId } })));
      })
      .catch(notFoundAs(itemId));
  }
}

const notFoundAs =
  (itemId: string) =>
  (error: unknown): never => {
    if (isRecordNotFound(error)) throw new NotFoundError('Item not found', { item_id: itemId });
    throw error;
  };
