// Webhook CRUD, the secret, the synchronous test delivery and its signatures, over REST and tRPC.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonJsonDumps, WebhookSender } from '@personal-automations/services';
import type { AppRouter } from '../src/index.ts';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import { type Receiver, restAs, startReceiver } from './webhooks-support.ts';

const t = useTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', RATE_LIMIT_ENABLED: 'false' });
let owner: SignedUp;
let other: SignedUp;
let receiver: Receiver;
beforeAll(async () => {
  [owner, other] = [await signUp(t), await signUp(t)];
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const api = (user: SignedUp | null, method: string, path: string, body?: unknown) => restAs(t, () => user)(method, path, body);
const create = async (user: SignedUp, body: Record<string, unknown> = {}) => {
  const res = await api(user, 'POST', '/webhooks', { name: 'hook', url: receiver.url, events: ['item.created'], ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
};
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/;
const NOT_FOUND = { error: { code: 'NOT_FOUND', message: 'Webhook not found', details: null } };

describe('webhook CRUD', () => {
  it('creates a webhook owned by the caller: 201, normalised URL, active, no secret in the answer', async () => {
    const res = await api(owner, 'POST', '/webhooks', {
      name: ' spaced ',
      url: 'HTTP://Example.COM',
      events: ['item.created', 'custom.event'],
      description: 'd',
      is_active: false,
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toEqual({
      id: expect.any(String),
      name: ' spaced ',
      url: 'http://example.com/',
      events: ['item.created', 'custom.event'],
      is_active: true,
      description: 'd',
      created_at: expect.stringMatching(ISO),
      updated_at: null,
    });
    const row = await t.db.webhook.findUniqueOrThrow({ where: { id: body.id } });
    expect(row.userId).toBe(owner.id);
    expect(row.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses bad bodies with the FastAPI 422 list', async () => {
    const missing = await api(owner, 'POST', '/webhooks', {});
    expect(missing.status).toBe(422);
    expect((await missing.json()).detail.map((d: { loc: string[]; type: string }) => [d.loc.join('.'), d.type])).toEqual([
      ['body.name', 'missing'],
      ['body.url', 'missing'],
      ['body.events', 'missing'],
    ]);
    const cases: [Record<string, unknown>, string, string][] = [
      [{ events: [] }, 'body.events', 'too_short'],
      [{ name: '' }, 'body.name', 'string_too_short'],
      [{ name: 'x'.repeat(256) }, 'body.name', 'string_too_long'],
      [{ url: 'ftp://example.com/' }, 'body.url', 'url_parsing'],
      [{ url: 'not a url' }, 'body.url', 'url_parsing'],
      [{ events: 'item.created' }, 'body.events', 'list_type'],
    ];
    for (const [patch, loc, type] of cases) {
      const res = await api(owner, 'POST', '/webhooks', { name: 'n', url: 'https://example.com/', events: ['a'], ...patch });
      expect(res.status, JSON.stringify(patch)).toBe(422);
      expect((await res.json()).detail[0]).toMatchObject({ loc: loc.split('.'), type });
    }
  });

  it('lists only the caller’s webhooks, newest first, with skip/limit and total', async () => {
    const mine = [await create(other, { name: 'a' }), await create(other, { name: 'b' }), await create(other, { name: 'c' })];
    const all = await (await api(other, 'GET', '/webhooks')).json();
    expect(all.total).toBe(3);
    expect(all.items.map((w: { id: string }) => w.id)).toEqual(mine.map((w) => w.id).reverse());
    expect(all.items.every((w: Record<string, unknown>) => !('secret' in w))).toBe(true);
    const page = await (await api(other, 'GET', '/webhooks?skip=1&limit=1')).json();
    expect(page).toEqual({ items: [all.items[1]], total: 3 });
    expect((await api(other, 'GET', '/webhooks?limit=101')).status).toBe(422);
    const ownerList = await (await api(owner, 'GET', '/webhooks?limit=100')).json();
    expect(ownerList.items.some((w: { id: string }) => mine.some((m) => m.id === w.id))).toBe(false);
  });

  it('gets and partially updates; url is normalised, null name is 422, updated_at is set', async () => {
    const hook = await create(owner);
    expect(await (await api(owner, 'GET', `/webhooks/${hook.id}`)).json()).toEqual(hook);
    const res = await api(owner, 'PATCH', `/webhooks/${hook.id}`, {
      is_active: false,
      url: 'https://Example.org',
      events: ['item.deleted'],
    });
    expect(res.status).toBe(200);
    const updated = await res.json();
    expect(updated).toMatchObject({
      name: 'hook',
      is_active: false,
      url: 'https://example.org/',
      events: ['item.deleted'],
      updated_at: expect.stringMatching(ISO),
    });
    expect((await api(owner, 'PATCH', `/webhooks/${hook.id}`, { name: null })).status).toBe(422);
    expect((await api(owner, 'PATCH', `/webhooks/${hook.id}`, { events: [] })).status).toBe(422);
    expect(await (await api(owner, 'PATCH', `/webhooks/${hook.id}`, { description: null })).json()).toMatchObject({
      description: null,
      is_active: false,
    });
  });

  it('another user’s webhook, or an unknown one, is 404 on every route; a bad id is 422', async () => {
    const hook = await create(owner);
    const delivered = receiver.requests.length;
    const unknown = '0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    for (const id of [hook.id, unknown]) {
      for (const [method, path, body] of [
        ['GET', ''],
        ['PATCH', '', { name: 'stolen' }],
        ['DELETE', ''],
        ['POST', '/test'],
        ['POST', '/regenerate-secret'],
        ['GET', '/deliveries'],
      ] as const) {
        const res = await api(other, method, `/webhooks/${id}${path}`, body);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await res.json()).toEqual(NOT_FOUND);
      }
    }
    expect(receiver.requests).toHaveLength(delivered);
    expect((await t.db.webhook.findUniqueOrThrow({ where: { id: hook.id } })).name).toBe('hook');
    expect((await api(owner, 'GET', '/webhooks/not-a-uuid')).status).toBe(422);
  });

  it('every route needs a login', async () => {
    for (const [method, path] of [
      ['GET', '/webhooks'],
      ['POST', '/webhooks'],
      ['GET', '/webhooks/0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/deliveries'],
    ]) {
      const res = await api(null, method!, path!, method === 'POST' ? {} : undefined);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ detail: 'Not authenticated' });
    }
  });

  it('DELETE removes the webhook and its deliveries (204)', async () => {
    const hook = await create(owner);
    expect((await (await api(owner, 'POST', `/webhooks/${hook.id}/test`)).json()).success).toBe(true);
    expect(await t.db.webhookDelivery.count({ where: { webhookId: hook.id } })).toBe(1);
    const res = await api(owner, 'DELETE', `/webhooks/${hook.id}`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await t.db.webhookDelivery.count({ where: { webhookId: hook.id } })).toBe(0);
    expect((await api(owner, 'GET', `/webhooks/${hook.id}`)).status).toBe(404);
  });
});

/** The receiver-side checks of both signature schemes, independent of the project's signing code. */
function verifyBoth(request: { headers: Record<string, string | string[] | undefined>; body: string }, secret: string) {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`);
  const received = Buffer.from(String(request.headers['x-webhook-signature']));
  const legacyOk = expected.length === received.length && timingSafeEqual(expected, received);
  // A Standard Webhooks library takes the key as whsec_ + base64 of the key bytes.
  const standard = new StandardWebhook(`whsec_${Buffer.from(secret, 'utf8').toString('base64')}`);
  const payload = standard.verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
  return { legacyOk, payload };
}

describe('secret and test delivery', () => {
  it('regenerate-secret returns a new 43-character secret: the only way to read it', async () => {
    const hook = await create(owner);
    const before = (await t.db.webhook.findUniqueOrThrow({ where: { id: hook.id } })).secret;
    const res = await api(owner, 'POST', `/webhooks/${hook.id}/regenerate-secret`);
    expect(res.status).toBe(200);
    const { secret } = await res.json();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).not.toBe(before);
    expect((await t.db.webhook.findUniqueOrThrow({ where: { id: hook.id } })).secret).toBe(secret);
    const again = await (await api(owner, 'GET', `/webhooks/${hook.id}`)).text();
    expect(again).not.toContain(secret);
  });

  it('POST /test delivers webhook.test synchronously, signed with the regenerated secret in both schemes, and logs it', async () => {
    const hook = await create(owner);
    await api(owner, 'PATCH', `/webhooks/${hook.id}`, { is_active: false }); // test deliveries ignore is_active
    const { secret } = await (await api(owner, 'POST', `/webhooks/${hook.id}/regenerate-secret`)).json();
    const seen = receiver.requests.length;
    const res = await api(owner, 'POST', `/webhooks/${hook.id}/test`);
    expect(await res.json()).toEqual({ success: true, status_code: 200, message: 'Delivered successfully' });
    expect(receiver.requests).toHaveLength(seen + 1);
    const request = receiver.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-webhook-event': 'webhook.test' });
    expect(request.body).toMatch(
      /^\{"event": "webhook\.test", "timestamp": "\d{4}-\d\d-\d\dT[\d:.]+\+00:00", "data": \{"message": "This is a test webhook delivery"\}\}$/,
    );
    const { legacyOk, payload } = verifyBoth(request, secret);
    expect(legacyOk).toBe(true);
    expect(payload).toMatchObject({ event: 'webhook.test' });
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    // the old secret no longer verifies
    const oldSecret = 'x'.repeat(43);
    expect(verifyBoth.bind(null, request, oldSecret)).toThrow();

    const log = await (await api(owner, 'GET', `/webhooks/${hook.id}/deliveries`)).json();
    expect(log.total).toBe(1);
    expect(log.items[0]).toEqual({
      id: request.headers['webhook-id'],
      webhook_id: hook.id,
      event_type: 'webhook.test',
      response_status: 200,
      error_message: null,
      attempt_count: 1,
      success: true,
      created_at: expect.stringMatching(ISO),
      delivered_at: expect.stringMatching(ISO),
    });
  });

  it('a non-2xx answer is success false with its status and "Delivered successfully"; the body is logged (first 10,000 characters)', async () => {
    const failing = await startReceiver(() => ({ status: 500, body: 'é'.repeat(20_000) }));
    try {
      const hook = await create(owner, { url: failing.url });
      expect(await (await api(owner, 'POST', `/webhooks/${hook.id}/test`)).json()).toEqual({
        success: false,
        status_code: 500,
        message: 'Delivered successfully',
      });
      const row = await t.db.webhookDelivery.findFirstOrThrow({ where: { webhookId: hook.id } });
      expect(row).toMatchObject({ responseStatus: 500, success: false, errorMessage: null, attemptCount: 1 });
      expect(row.responseBody).toBe('é'.repeat(10_000));
      expect(row.deliveredAt).not.toBeNull();
    } finally {
      await failing.close();
    }
  });

  it('a transport error is success false, status_code null and a fixed reason without errno text or address; delivered_at stays null', async () => {
    const gone = await startReceiver();
    await gone.close(); // nothing listens on its port any more
    const hook = await create(owner, { url: gone.url });
    const result = await (await api(owner, 'POST', `/webhooks/${hook.id}/test`)).json();
    expect(result).toEqual({ success: false, status_code: null, message: 'Could not connect' });
    const row = await t.db.webhookDelivery.findFirstOrThrow({ where: { webhookId: hook.id } });
    expect(row).toMatchObject({ responseStatus: null, deliveredAt: null, success: false, errorMessage: 'Could not connect' });
  });

  it('a receiver that never answers times out', async () => {
    const silent = await startReceiver(() => 'hang');
    try {
      const sender = new WebhookSender({ guard: null, timeoutMs: 300, userAgent: 'test' });
      const outcome = await sender.send(
        { url: silent.url, secret: 's', eventType: 'webhook.test', body: '{}', messageId: 'm' },
        { warn: () => {} },
      );
      expect(outcome).toMatchObject({ success: false, statusCode: null, error: 'Timed out after 0.3 s', refused: false });
    } finally {
      await silent.close();
    }
  });
});

describe('over tRPC', () => {
  it('the same procedures, typed; the secret only from regenerateSecret', async () => {
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${t.baseUrl}/trpc`, headers: () => owner.auth })] });
    const created = await client.webhooks.create.mutate({ name: 'typed', url: receiver.url, events: ['item.created'] });
    expect(created).not.toHaveProperty('secret');
    const listed = await client.webhooks.list.query({ skip: 0, limit: 100 });
    expect(listed.items.map((w) => w.id)).toContain(created.id);
    const { secret } = await client.webhooks.regenerateSecret.mutate({ webhook_id: created.id });
    expect(secret).toHaveLength(43);
    expect((await client.webhooks.test.mutate({ webhook_id: created.id })).success).toBe(true);
    expect((await client.webhooks.deliveries.query({ webhook_id: created.id, skip: 0, limit: 10 })).total).toBe(1);
    await client.webhooks.delete.mutate({ webhook_id: created.id });
    const error = await client.webhooks.get.query({ webhook_id: created.id }).catch((e: unknown) => e);
    expect(error).toMatchObject({ data: { code: 'NOT_FOUND', appCode: 'NOT_FOUND' } });
  });
});

describe('delivery body format', () => {
  it('is Python json.dumps: ", " and ": " separators, non-ASCII escaped as \\uXXXX', () => {
    expect(pythonJsonDumps({ a: 'é😀\u007f"\\\n', b: [1, 2.5, true, null], c: {} })).toBe(
      '{"a": "\\u00e9\\ud83d\\ude00\\u007f\\"\\\\\\n", "b": [1, 2.5, true, null], "c": {}}',
    );
  });
});
