import { z } from 'zod';
import {
  WebhookCreate,
  WebhookDeliveriesInput,
  WebhookDeliveryList,
  WebhookIdParam,
  WebhookList,
  WebhookListQuery,
  WebhookRead,
  WebhookSecret,
  WebhookTestResult,
  WebhookUpdateInput,
} from '@personal-automations/contracts';
import { authedProcedure, router } from '../trpc.ts';

const tags = ['webhooks'];

/** Every route needs a logged-in user; a webhook of another user is "not found". */
export const webhooksRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/webhooks', tags, summary: 'List your webhooks (newest first)' } })
    .input(WebhookListQuery)
    .output(WebhookList)
    .query(({ ctx, input }) => ctx.services.webhooks.list(ctx.user.id, input)),
  create: authedProcedure
    .meta({
      openapi: { method: 'POST', path: '/webhooks', tags, summary: 'Create webhook (the secret is not returned)' },
      successStatus: 201,
      errorStatuses: [422],
    })
    .input(WebhookCreate)
    .output(WebhookRead)
    .mutation(({ ctx, input }) => ctx.services.webhooks.create(ctx.user.id, input, ctx.log)),
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/webhooks/{webhook_id}', tags, summary: 'Get webhook' } })
    .input(WebhookIdParam)
    .output(WebhookRead)
    .query(({ ctx, input }) => ctx.services.webhooks.get(ctx.user.id, input.webhook_id)),
  update: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/webhooks/{webhook_id}', tags, summary: 'Update webhook' }, errorStatuses: [422] })
    .input(WebhookUpdateInput)
    .output(WebhookRead)
    .mutation(({ ctx, input: { webhook_id, ...changes } }) => ctx.services.webhooks.update(ctx.user.id, webhook_id, changes, ctx.log)),
  delete: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/webhooks/{webhook_id}', tags, summary: 'Delete webhook and its deliveries' },
      successStatus: 204,
    })
    .input(WebhookIdParam)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.webhooks.delete(ctx.user.id, input.webhook_id)),
  test: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/webhooks/{webhook_id}/test', tags, summary: 'Send a webhook.test delivery now' } })
    .input(WebhookIdParam)
    .output(WebhookTestResult)
    .mutation(({ ctx, input }) => ctx.services.webhooks.test(ctx.user.id, input.webhook_id, ctx.log)),
  regenerateSecret: authedProcedure
    .meta({
      openapi: { method: 'POST', path: '/webhooks/{webhook_id}/regenerate-secret', tags, summary: 'Replace and return the signing secret' },
      noStore: true,
    })
    .input(WebhookIdParam)
    .output(WebhookSecret)
    .mutation(({ ctx, input }) => ctx.services.webhooks.regenerateSecret(ctx.user.id, input.webhook_id)),
  deliveries: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/webhooks/{webhook_id}/deliveries', tags, summary: 'Delivery log (newest first)' } })
    .input(WebhookDeliveriesInput)
    .output(WebhookDeliveryList)
    .query(({ ctx, input: { webhook_id, ...page } }) => ctx.services.webhooks.listDeliveries(ctx.user.id, webhook_id, page)),
});
