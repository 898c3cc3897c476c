// The SSRF guard with WEBHOOK_ALLOW_PRIVATE_URLS=false: refused at create/update (422
// VALIDATION_ERROR envelope) and again at delivery time, by the test route and by the worker.
// Names are resolved by a fake name server on 127.0.0.1 (WEBHOOK_DNS_SERVERS); what the owner
// reads never names the address a host resolved to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlockedAddress } from '@personal-automations/services';
import { startFakeDns } from '@personal-automations/testing';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import {
  deliveryQueue,
  fastWorkerSettings,
  type Receiver,
  removeQueues,
  restAs,
  startReceiver,
  startWorker,
  waitForJobState,
  waitUntil,
} from './webhooks-support.ts';

const dns = await startFakeDns({ records: { 'internal.test': ['10.0.0.5'], 'public.test': ['93.184.216.34'] }, silent: ['hang.test'] });
afterAll(() => dns.close());
const DNS_TIMEOUT_SECONDS = 0.5;
const t = useTestApp(
  fastWorkerSettings({
    WEBHOOK_ALLOW_PRIVATE_URLS: 'false',
    WEBHOOK_DNS_SERVERS: dns.server,
    WEBHOOK_DNS_TIMEOUT_SECONDS: String(DNS_TIMEOUT_SECONDS),
  }),
);
const BLOCKED = 'URL resolves to a non-public address';
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
    'http://internal.test/', // resolves to 10.0.0.5
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

  it.each(refused)('refuses %s with 422 VALIDATION_ERROR, a reason naming no address, and stores nothing', async (url) => {
    const before = await t.db.webhook.count();
    const res = await api('POST', '/webhooks', { name: 'n', url, events: ['item.created'] });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Webhook URL is not allowed', details: { reason: BLOCKED } });
    expect(Object.keys(body.error.details)).toEqual(['url', 'reason']); // the URL as sent, nothing it resolved to
    expect(await t.db.webhook.count()).toBe(before);
  });

  it('accepts a public address or name; a host that does not resolve now, or whose name server does not answer in time, is accepted too (delivery checks again)', async () => {
    for (const url of [
      'https://93.184.216.34/hook',
      'https://[2606:4700:4700::1111]/',
      'https://public.test/',
      'https://no-such-host.invalid/hook',
      'https://hang.test/',
    ]) {
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
    expect(await t.db.webhook.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({
      url: 'https://93.184.216.34/a',
      name: 'n',
    });
  });
});

describe('SSRF guard at delivery time', () => {
  /** POST /test of a webhook stored with `url`: the answer, and its delivery row's error_message. */
  async function testDelivery(url: string) {
    const hook = await storedWebhook(url);
    const result = await (await api('POST', `/webhooks/${hook.id}/test`)).json();
    const row = await t.db.webhookDelivery.findFirstOrThrow({ where: { webhookId: hook.id } });
    expect(row).toMatchObject({ success: false, responseStatus: null, deliveredAt: null });
    return { result, errorMessage: row.errorMessage };
  }

  it('the test route refuses a stored private URL, by address and by name, without contacting it, and names no address', async () => {
    const port = new URL(receiver.url).port;
    for (const url of [receiver.url, `http://localhost:${port}/hook`, `http://internal.test:${port}/hook`]) {
      const { result, errorMessage } = await testDelivery(url);
      expect(result, url).toEqual({ success: false, status_code: null, message: BLOCKED });
      expect(errorMessage).toBe(BLOCKED);
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('a host that does not resolve: "Could not resolve the host"; a name server that does not answer: "Timed out resolving the host", within the DNS timeout', async () => {
    expect(await testDelivery('http://missing.test/hook')).toEqual({
      result: { success: false, status_code: null, message: 'Could not resolve the host' },
      errorMessage: 'Could not resolve the host',
    });
    const started = performance.now();
    expect(await testDelivery('http://hang.test/hook')).toEqual({
      result: { success: false, status_code: null, message: 'Timed out resolving the host' },
      errorMessage: 'Timed out resolving the host',
    });
    // the DNS timeout, not WEBHOOK_TIMEOUT_SECONDS (10 s), ended it; generous room for a loaded machine
    expect(performance.now() - started).toBeLessThan(DNS_TIMEOUT_SECONDS * 1000 + 5000);
    expect(dns.queries).toContain('hang.test');
  });

  it('the worker refuses it too, once: the refusal is not retried', async () => {
    const worker = await startWorker(t.app);
    const queue = deliveryQueue(t);
    try {
      const hook = await storedWebhook(receiver.url);
      await api('POST', '/items', { title: 'to a private address' });
      const row = await waitUntil('the refused attempt', () =>
        t.db.webhookDelivery.findFirst({ where: { webhookId: hook.id, attemptCount: { gt: 0 } } }),
      );
      const job = await waitForJobState(queue, row.id, 'failed');
      expect(job.attemptsMade).toBe(1);
      expect(await t.db.webhookDelivery.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
        attemptCount: 1,
        success: false,
        errorMessage: BLOCKED,
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
