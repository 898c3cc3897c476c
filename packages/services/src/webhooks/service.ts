import { randomBytes, randomUUID } from 'node:crypto';
import type {
  WebhookCreate,
  WebhookDeliveryList,
  WebhookList,
  WebhookListQuery,
  WebhookRead,
  WebhookSecret,
  WebhookTestResult,
  WebhookUpdate,
} from '@personal-automations/contracts';
import { type Database, isForeignKeyViolation, isRecordNotFound, type Prisma, type Webhook } from '@personal-automations/db';
import { NotFoundError } from '../errors.ts';
import { listWindow } from '../pagination.ts';
import { isoOffset, isoOffsetOrNull } from '../serialize.ts';
import { attemptColumns, toDeliveryRead } from './deliveries.ts';
import type { WebhookLogger } from './failures.ts';
import { deliveryBody, TEST_DATA, TEST_EVENT } from './payload.ts';
import type { WebhookSender } from './sender.ts';
import type { UrlGuard } from './url-guard.ts';

export const toWebhookRead = (webhook: Webhook): WebhookRead => ({
  id: webhook.id,
  name: webhook.name,
  url: webhook.url,
  events: webhook.events,
  is_active: webhook.isActive,
  description: webhook.description,
  created_at: isoOffset(webhook.createdAt),
  updated_at: isoOffsetOrNull(webhook.updatedAt),
});

/** `secrets.token_urlsafe(32)`: 43 URL-safe characters. */
const newSecret = () => randomBytes(32).toString('base64url');

const webhookNotFound = () => new NotFoundError('Webhook not found');
/** The webhook was deleted between the ownership check and the write. */
const notFoundIfGone = (error: unknown): never => {
  if (isRecordNotFound(error) || isForeignKeyViolation(error)) throw webhookNotFound();
  throw error;
};

const newestFirst = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** `guard` is null with WEBHOOK_ALLOW_PRIVATE_URLS: URLs are then not checked when saved. */
export type WebhookServiceOptions = { guard: UrlGuard | null };

/** Webhooks belong to the user who created them; everyone else gets "not found". */
export class WebhookService {
  private readonly db: Database;
  private readonly sender: WebhookSender;
  private readonly options: WebhookServiceOptions;
  constructor(db: Database, sender: WebhookSender, options: WebhookServiceOptions) {
    this.db = db;
    this.sender = sender;
    this.options = options;
  }

  private async owned(userId: string, webhookId: string): Promise<Webhook> {
    const webhook = await this.db.webhook.findFirst({ where: { id: webhookId, userId } });
    if (!webhook) throw webhookNotFound();
    return webhook;
  }

  private async checkUrl(url: string, log: WebhookLogger): Promise<void> {
    await this.options.guard?.assertPublicUrl(url, log);
  }

  list(userId: string, query: WebhookListQuery): Promise<WebhookList> {
    const where = { userId };
    return listWindow(
      {
        rows: (window) => this.db.webhook.findMany({ where, orderBy: newestFirst, ...window }),
        count: () => this.db.webhook.count({ where }),
      },
      query,
      toWebhookRead,
    );
  }

  /** A new active webhook with a fresh secret, which is not returned (see regenerateSecret). `log` hears why a URL was refused. */
  async create(userId: string, input: WebhookCreate, log: WebhookLogger): Promise<WebhookRead> {
    await this.checkUrl(input.url, log);
    const webhook = await this.db.webhook.create({
      data: { userId, name: input.name, url: input.url, events: input.events, description: input.description ?? null, secret: newSecret() },
    });
    return toWebhookRead(webhook);
  }

  async get(userId: string, webhookId: string): Promise<WebhookRead> {
    return toWebhookRead(await this.owned(userId, webhookId));
  }

  async update(userId: string, webhookId: string, changes: WebhookUpdate, log: WebhookLogger): Promise<WebhookRead> {
    await this.owned(userId, webhookId);
    if (changes.url !== undefined) await this.checkUrl(changes.url, log);
    const data: Prisma.WebhookUpdateInput = { updatedAt: new Date() };
    if (changes.name !== undefined) data.name = changes.name;
    if (changes.url !== undefined) data.url = changes.url;
    if (changes.events !== undefined) data.events = changes.events;
    if (changes.is_active !== undefined) data.isActive = changes.is_active;
    if (changes.description !== undefined) data.description = changes.description;
    const webhook = await this.db.webhook.update({ where: { id: webhookId, userId }, data }).catch(notFoundIfGone);
    return toWebhookRead(webhook);
  }

  /** Deletes the webhook and its delivery log. */
  async delete(userId: string, webhookId: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      // The row lock makes a worker that is about to log a delivery for this webhook wait (and
      // then find it gone), instead of adding a row between the two deletes.
      const locked = await tx.$queryRaw<
        { id: string }[]
      >`SELECT id FROM webhooks WHERE id = ${webhookId}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
      if (!locked.length) throw webhookNotFound();
      await tx.webhookDelivery.deleteMany({ where: { webhookId } });
      await tx.webhook.delete({ where: { id: webhookId } });
    });
  }

  /**
   * Sends `webhook.test` now, active or not, and logs it as a delivery. `message` is why no
   * response came (fixed words; the details go to `log`), else "Delivered successfully" (even for non-2xx).
   */
  async test(userId: string, webhookId: string, log: WebhookLogger): Promise<WebhookTestResult> {
    const webhook = await this.owned(userId, webhookId);
    const id = randomUUID();
    const createdAt = new Date();
    const body = deliveryBody(TEST_EVENT, createdAt, TEST_DATA);
    const outcome = await this.sender.send({ url: webhook.url, secret: webhook.secret, eventType: TEST_EVENT, body, messageId: id }, log);
    await this.db.webhookDelivery
      .create({ data: { id, webhookId, eventType: TEST_EVENT, payload: body, attemptCount: 1, createdAt, ...attemptColumns(outcome) } })
      .catch(notFoundIfGone);
    return {
      success: outcome.success,
      status_code: outcome.statusCode,
      message: outcome.statusCode === null ? (outcome.error ?? 'Delivery failed') : 'Delivered successfully',
    };
  }

  /** A new secret, which takes effect for every later delivery attempt; the only way to read one. */
  async regenerateSecret(userId: string, webhookId: string): Promise<WebhookSecret> {
    const secret = newSecret();
    const { count } = await this.db.webhook.updateMany({ where: { id: webhookId, userId }, data: { secret, updatedAt: new Date() } });
    if (!count) throw webhookNotFound();
    return { secret };
  }

  /** The webhook's delivery log, newest first. */
  async listDeliveries(userId: string, webhookId: string, query: WebhookListQuery): Promise<WebhookDeliveryList> {
    await this.owned(userId, webhookId);
    const where = { webhookId };
    return listWindow(
      {
        rows: (window) => this.db.webhookDelivery.findMany({ where, orderBy: newestFirst, ...window }),
        count: () => this.db.webhookDelivery.count({ where }),
      },
      query,
      toDeliveryRead,
    );
  }
}
