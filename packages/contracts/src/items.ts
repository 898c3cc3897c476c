import { z } from 'zod';
import { DateTime, idParam, PageQuery, pageOf, stripped, UuidString } from './common.ts';
import { DescriptionText } from './limits.ts';

export const ItemRead = z
  .object({
    id: UuidString,
    title: z.string(),
    description: z.string().nullable(),
    is_active: z.boolean(),
    created_at: DateTime,
    updated_at: DateTime.nullable().meta({ description: 'null until the first update' }),
  })
  .meta({ id: 'ItemRead' });
export type ItemRead = z.infer<typeof ItemRead>;

export const ItemCreate = z
  .object({
    title: stripped(255).meta({ example: 'My item' }),
    description: DescriptionText.nullable().optional(),
  })
  .meta({ id: 'ItemCreate' });
export type ItemCreate = z.infer<typeof ItemCreate>;

/** Partial update; `title: null` is refused (the column is NOT NULL). */
export const ItemUpdate = z
  .object({
    title: stripped(255).optional(),
    description: DescriptionText.nullable().optional(),
    is_active: z.boolean().optional(),
  })
  .meta({ id: 'ItemUpdate' });
export type ItemUpdate = z.infer<typeof ItemUpdate>;

export const ItemIdParam = idParam('item_id');
export const ItemPage = pageOf(ItemRead, 'Page_ItemRead_');
export const ItemListQuery = PageQuery;
export const ItemUpdateInput = ItemIdParam.extend(ItemUpdate.shape);
export type ItemUpdateInput = z.infer<typeof ItemUpdateInput>;
