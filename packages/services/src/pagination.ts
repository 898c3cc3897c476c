// The one way a service reads a paged list: the rows of the window and the total they are
// counted from. Both wire styles come from it: page/size (items, users) and skip/limit
// (conversations, messages, webhooks, deliveries).
//
// The two statements run side by side (Promise.all), on two pooled connections. A batch
// transaction ($transaction([...])) would add BEGIN and COMMIT round trips and hold one
// connection for all four, while at READ COMMITTED each statement still reads its own snapshot:
// it would buy no consistency the page needs. (On the embedded database's single connection the
// two simply take turns.)
import type { Page, PageQuery } from '@personal-automations/contracts';

/** Which rows to read: `skip` rows in, at most `take` of them. */
export type Window = { skip: number; take: number };

/** How to read a list: its rows in a window (in a stable order), and how many there are in all. */
export type ListSource<Row> = {
  rows: (window: Window) => Promise<Row[]>;
  count: () => Promise<number>;
};

/** A skip/limit list's answer (the contracts' `listOf`). */
export type List<T> = { items: T[]; total: number };

/** The page count (`pages`): ceil(total / size), 0 for an empty table. */
export const pageCount = (total: number, size: number): number => Math.ceil(total / size);

/** A skip/limit list: the rows from `skip`, at most `limit`, each in the contract's shape. */
export async function listWindow<Row, Read>(
  source: ListSource<Row>,
  { skip, limit }: { skip: number; limit: number },
  toRead: (row: Row) => Read,
): Promise<List<Read>> {
  const [rows, total] = await Promise.all([source.rows({ skip, take: limit }), source.count()]);
  return { items: rows.map(toRead), total };
}

/** A page/size list (`items`, `total`, `page`, `size`, `pages`): page `page` of `size` rows, with the page count. */
export async function listPage<Row, Read>(
  source: ListSource<Row>,
  { page, size }: PageQuery,
  toRead: (row: Row) => Read,
): Promise<Page<Read>> {
  const { items, total } = await listWindow(source, { skip: (page - 1) * size, limit: size }, toRead);
  return { items, total, page, size, pages: pageCount(total, size) };
}
