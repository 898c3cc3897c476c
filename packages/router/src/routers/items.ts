import { z } from 'zod';
import { ItemCreate, ItemIdParam, ItemListQuery, ItemPage, ItemRead, ItemUpdateInput } from '@personal-automations/contracts';
import { authedProcedure, router } from '../trpc.ts';

const tags = ['items'];

export const itemsRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/items', tags, summary: 'List items (paginated)' } })
    .input(ItemListQuery)
    .output(ItemPage)
    .query(({ ctx, input }) => ctx.services.items.list(input)),
  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/items', tags, summary: 'Create item' }, successStatus: 201 })
    .input(ItemCreate)
    .output(ItemRead)
    .mutation(({ ctx, input }) => ctx.services.items.create(input)),
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/items/{item_id}', tags, summary: 'Get item' } })
    .input(ItemIdParam)
    .output(ItemRead)
    .query(({ ctx, input }) => ctx.services.items.get(input.item_id)),
  update: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/items/{item_id}', tags, summary: 'Update item' } })
    .input(ItemUpdateInput)
    .output(ItemRead)
    .mutation(({ ctx, input: { item_id, ...changes } }) => ctx.services.items.update(item_id, changes)),
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/items/{item_id}', tags, summary: 'Delete item' }, successStatus: 204 })
    .input(ItemIdParam)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.items.delete(input.item_id)),
});
