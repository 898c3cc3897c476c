import type { ItemCreate, ItemRead, ItemUpdate, Page, PageQuery } from '@personal-automations/contracts';
import { type Database, type Item, isRecordNotFound } from '@personal-automations/db';
import { CoalescedWindows } from './coalesced-windows.ts';
import { NotFoundError } from './errors.ts';
import { publishEvent } from './events.ts';
import { listPage, type Window } from './pagination.ts';
import { isoOffset, isoOffsetOrNull } from './serialize.ts';

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
   * (the count as an init-plan subquery, computed once), one database round trip instead of two,
   * and pages asked for together (a tRPC batch, or concurrent requests) share that statement.
   */
  list(query: PageQuery): Promise<Page<ItemRead>> {
    return listPage(
      {
        // created_at, id: a stable order, so pages neither repeat nor skip rows
        rows: (window) => this.db.item.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...window }),
        count: () => this.db.item.count(),
        rowsAndTotal: (window) => this.pages.read(window),
      },
      query,
      toItemRead,
    );
  }

  private readonly pages = new CoalescedWindows(async ({ skip, take }: Window) => {
    const rows = await this.db.$queryRaw<Array<Item & { total: number }>>`
      SELECT (SELECT count(*) FROM items)::int AS total, id, title, description,
             is_active AS "isActive", created_at AS "createdAt", updated_at AS "updatedAt"
      FROM items ORDER BY created_at, id LIMIT ${take} OFFSET ${skip}`;
    return { rows, total: rows[0]?.total };
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
