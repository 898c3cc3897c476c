// The SSRF guard with WEBHOOK_ALLOW_PRIVATE_URLS=false: refused at create/update (422
// VALIDATION_ERROR envelope) and again at delivery time, by the test route and by the worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlockedAddress } from '@personal-automations/services';
import { signUp, useTestApp, type SignedUp } from './helpers.ts';
import { deliveryQueue, fastWorkerSettings, removeQueues, restAs, startReceiver, startWorker, waitForJobState, waitUntil, type Receiver } from './webhooks-support.ts';

const t = useTestApp(fastWorkerSettings({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }));
let user: SignedUp;
let receiver: Receiver;
beforeAll(async () => {
  user = await signUp(t);
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  if (t.settings) await removeQueues(t.settings);
});

const api = restAs(t, () => user);

/** A webhook whose URL was stored without the guard (as by an older version, or a DNS change since). */
const storedWebhook = (url: string, events = ['item.created']) =>
  t.db.webhook.create({ data: { userId: user.id, name: 'stored', url, events, secret: 's'.repeat(43) } });

describe('SSRF guard at create and update', () => {
  const refused = [
    'http://127.0.0.1/hook',
    'http://127.1.2.3:8080/',
    'http://localhost/hook', // a name that resolves to loopback
    'http://10.0.0.5/',
    'http://172.16.1.1/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/', // cloud metadata
    'http://100.100.100.200/',
    'http://0.0.0.0/',
    'http://2130706433/', // 127.0.0.1 as a number
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/', // IPv4-mapped IPv6
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://[::]/',
    'http://224.0.0.1/',
  ];

  it.each(refused)('refuses %s with 422 VALIDATION_ERROR and stores nothing', async (url) => {
    const before = await t.db.webhook.count();
    const res = await api('POST', '/webhooks', { name: 'n', url, events: ['item.created'] });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Webhook URL is not allowed' });
    expect(body.error.details.reason).toMatch(/^URL resolves to a non-public address \(.+\)$/);
    expect(await t.db.webhook.count()).toBe(before);
  });

  it('accepts a public address; a host that does not resolve now is accepted too (delivery checks again)', async () => {
    for (const url of ['https://93.184.216.34/hook', 'https://[2606:4700:4700::1111]/', 'https://no-such-host.invalid/hook']) {
      // subscribed to nothing that happens here: no test may send requests off this machine
      const res = await api('POST', '/webhooks', { name: 'n', url, events: ['never.emitted'] });
      expect(res.status, url).toBe(201);
    }
  });

  it('refuses an update to a private URL and keeps the old one', async () => {
    const created = await (await api('POST', '/webhooks', { name: 'n', url: 'https://93.184.216.34/a', events: ['never.emitted'] })).json();
    const res = await api('PATCH', `/webhooks/${created.id}`, { url: 'http://192.168.0.10/', name: 'renamed' });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('VALIDATION_ERROR');
    expect(await t.db.webhook.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ url: 'https://93.184.216.34/a', name: 'n' });
  });
});

describe('SSRF guard at delivery time', () => {
  it('the test route refuses a stored private URL, by address and by name, without contacting it', async () => {
    const port = new URL(receiver.url).port;
    for (const [url, address] of [[receiver.url, '127.0.0.1'], [`http://localhost:${port}/hook`, undefined]] as const) {
      const hook = await storedWebhook(url);
      const result = await (await api('POST', `/webhooks/${hook.id}/test`)).json();
      expect(result).toMatchObject({ success: false, status_code: null });
      expect(result.message).toMatch(address ? `URL resolves to a non-public address (${address})` : /^URL resolves to a non-public address \((127\.0\.0\.1|::1)\)$/);
      expect(await t.db.webhookDelivery.findFirstOrThrow({ where: { webhookId: hook.id } })).toMatchObject({ success: false, responseStatus: null, errorMessage: result.message });
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('the worker refuses it too, once: the refusal is not retried', async () => {
    const worker = await startWorker(t.app);
    const queue = deliveryQueue(t);
    try {
      const hook = await storedWebhook(receiver.url);
      await api('POST', '/items', { title: 'to a private address' });
      const row = await waitUntil('the refused attempt', () => t.db.webhookDelivery.findFirst({ where: { webhookId: hook.id, attemptCount: { gt: 0 } } }));
      const job = await waitForJobState(queue, row.id, 'failed');
      expect(job.attemptsMade).toBe(1);
      expect(await t.db.webhookDelivery.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
        attemptCount: 1,
        success: false,
        errorMessage: 'URL resolves to a non-public address (127.0.0.1)',
      });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await worker.close();
    }
  });
});

describe('address classification', () => {
  it.each([
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['2606:4700::1111', false],
    ['::ffff:8.8.8.8', false],
    ['127.0.0.1', true],
    ['10.255.255.255', true],
    ['169.254.169.254', true],
    ['255.255.255.255', true],
    ['::1', true],
    ['::ffff:169.254.169.254', true],
    ['64:ff9b::7f00:1', true], // NAT64 of 127.0.0.1
    ['2002:c0a8:101::1', true], // 6to4 of 192.168.1.1
    ['fe80::1%eth0', true],
    ['ff02::1', true],
    ['not-an-address', true],
  ])('%s blocked: %s', (address, expected) => {
    expect(isBlockedAddress(address)).toBe(expected);
  });
});
