import type { ItemCreate, ItemRead, ItemUpdate, Page, PageQuery } from '@personal-automations/contracts';
import { type Database, type Item, isRecordNotFound } from '@personal-automations/db';
import { CoalescedWindows } from './coalesced-windows.ts';
import { NotFoundError } from './errors.ts';
import { publishEvent } from './events.ts';
import { pageCount, type Window } from './pagination.ts';
import { isoOffset, isoOffsetOrNull, jsonObjectSql, jsonValueSql } from './serialize.ts';

export const toItemRead = (item: Item): ItemRead => ({
  id: item.id,
  title: item.title,
  description: item.description,
  is_active: item.isActive,
  created_at: isoOffset(item.createdAt),
  updated_at: isoOffsetOrNull(item.updatedAt),
});

/** An item as ItemRead's JSON text, written by PostgreSQL (toItemRead's shape, keys in the same order). */
const ITEM_JSON_SQL = jsonObjectSql({
  id: jsonValueSql.text('id'),
  title: jsonValueSql.text('title'),
  description: jsonValueSql.text('description'),
  is_active: jsonValueSql.boolean('is_active'),
  created_at: jsonValueSql.timestamp('created_at'),
  updated_at: jsonValueSql.timestamp('updated_at'),
});

/** Pages read together are merged into one statement while it reads at most this many rows (ten pages of the largest size). */
const MAX_COALESCED_ROWS = 1000;
/**
 * One statement of the list at a time per process: pages asked for while it runs share the next
 * one instead of each queueing for a pooled connection. On the embedded database (one connection,
 * run on the event loop) this is what lets concurrent requests share statements at all (8 times
 * the requests per second); on PostgreSQL, fewer statements (its CPU per request 20 → 12–15 µs)
 * and the same requests per second within the noise of alternating rounds (bench/items-embedded.ts).
 */
const MAX_LIST_READS_IN_FLIGHT = 1;

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
   * (the count in a first row of its own), one database round trip instead of two;
   * pages asked for together (a tRPC batch, concurrent requests, those that arrive while the
   * list's previous statement runs) share that statement; and the rows come out of it in the
   * contract's shape, as JSON text, timestamps already written (`isoOffset`).
   */
  async list({ page, size }: PageQuery): Promise<Page<ItemRead>> {
    const { rows, total = 0 } = await this.pages.read({ skip: (page - 1) * size, take: size });
    return { items: rows, total, page, size, pages: pageCount(total, size) };
  }

  private readonly pages = new CoalescedWindows(
    async ({ skip, take }: Window) => {
      // The total, then the window's items, each as the text of its JSON object written by
      // PostgreSQL (keys in the contract's order): one text column that Prisma passes on without
      // converting values, the count in the first row only. The rows come in the statement's
      // order; aggregating them in order instead (json_agg(... ORDER BY ...)) cost PostgreSQL
      // three times as much for ten pages.
      const [counted, ...items] = await this.db.$queryRaw<{ text: string }[]>`
      SELECT text FROM (
        SELECT 0 AS part, NULL::timestamptz AS created_at, NULL::uuid AS id, count(*)::text AS text FROM items
        UNION ALL
        (SELECT 1, created_at, id, ${ITEM_JSON_SQL} FROM items ORDER BY created_at, id LIMIT ${take} OFFSET ${skip})
      ) page ORDER BY part, created_at, id`;
      return { rows: JSON.parse(`[${items.map((item) => item.text).join(',')}]`) as ItemRead[], total: Number(counted?.text ?? 0) };
    },
    MAX_COALESCED_ROWS,
    MAX_LIST_READS_IN_FLIGHT,
  );

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
