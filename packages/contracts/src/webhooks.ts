import { z } from 'zod';
import { DateTime, idParam, listOf, skipLimitQuery, Text, UuidString } from './common.ts';
import { boundedText, DescriptionText, MAX_EVENT_NAME_CHARS, MAX_WEBHOOK_EVENTS, maxItems } from './limits.ts';

/** The column is varchar(2048): a longer URL is refused here (422), before it would fail in the database (500). */
const MAX_URL_LENGTH = 2048;

const normalizeUrl = (value: string): string => {
  try {
    return new URL(value).href;
  } catch {
    return value; // already reported as an invalid URL
  }
};

/** An http(s) URL, stored normalised (`https://example.com` → `https://example.com/`), the form the URLs already stored have. */
export const WebhookUrl = z
  .url({ protocol: /^https?$/, hostname: /./ })
  .max(MAX_URL_LENGTH)
  .overwrite(normalizeUrl)
  .meta({ format: 'uri', example: 'https://example.com/hooks/personal-automations' });

const Name = Text.min(1).max(255).meta({ example: 'My integration' });
/**
 * Event names are not checked against the known list, so a client of the original that subscribes
 * to other names is not refused; each is logged as a delivery's event_type (varchar(100)).
 */
const Events = z
  .array(boundedText(MAX_EVENT_NAME_CHARS))
  .min(1)
  .max(MAX_WEBHOOK_EVENTS, maxItems(MAX_WEBHOOK_EVENTS))
  .meta({ example: ['item.created', 'user.updated'] });

export const WebhookRead = z
  .object({
    id: UuidString,
    name: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    is_active: z.boolean(),
    description: z.string().nullable(),
    created_at: DateTime,
    updated_at: DateTime.nullable(),
  })
  .meta({ id: 'WebhookRead', description: 'A webhook; its secret is never included' });
export type WebhookRead = z.infer<typeof WebhookRead>;

export const WebhookCreate = z
  .object({
    name: Name,
    url: WebhookUrl,
    events: Events,
    description: DescriptionText.nullable().optional(),
  })
  .meta({ id: 'WebhookCreate' });
export type WebhookCreate = z.infer<typeof WebhookCreate>;

export const WebhookUpdate = z
  .object({
    name: Name.optional(),
    url: WebhookUrl.optional(),
    events: Events.optional(),
    is_active: z.boolean().optional(),
    description: DescriptionText.nullable().optional(),
  })
  .meta({ id: 'WebhookUpdate' });
export type WebhookUpdate = z.infer<typeof WebhookUpdate>;

export const WebhookDeliveryRead = z
  .object({
    id: UuidString,
    webhook_id: UuidString,
    event_type: z.string(),
    response_status: z.number().int().nullable(),
    error_message: z.string().nullable(),
    attempt_count: z.number().int(),
    success: z.boolean(),
    created_at: DateTime,
    delivered_at: DateTime.nullable(),
  })
  .meta({ id: 'WebhookDeliveryRead' });
export type WebhookDeliveryRead = z.infer<typeof WebhookDeliveryRead>;

export const WebhookTestResult = z
  .object({
    success: z.boolean(),
    status_code: z.number().int().nullable(),
    message: z.string(),
  })
  .meta({ id: 'WebhookTestResponse' });
export type WebhookTestResult = z.infer<typeof WebhookTestResult>;

export const WebhookSecret = z
  .object({ secret: z.string().meta({ description: 'The new signing secret (43 URL-safe characters); shown only here' }) })
  .meta({ id: 'WebhookSecretResponse' });
export type WebhookSecret = z.infer<typeof WebhookSecret>;

export const WebhookIdParam = idParam('webhook_id');
export const WebhookListQuery = skipLimitQuery(50, 100);
export type WebhookListQuery = z.infer<typeof WebhookListQuery>;
export const WebhookList = listOf(WebhookRead, 'WebhookListResponse');
export type WebhookList = z.infer<typeof WebhookList>;
export const WebhookUpdateInput = WebhookIdParam.extend(WebhookUpdate.shape);
export const WebhookDeliveriesInput = WebhookIdParam.extend(WebhookListQuery.shape);
export const WebhookDeliveryList = listOf(WebhookDeliveryRead, 'WebhookDeliveryListResponse');
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;
