// How the SSRF guard resolves webhook hosts, against a fake name server on 127.0.0.1: c-ares
// (no libuv thread held while a name server hangs), one deadline for the whole resolution, and
// fixed reasons for the owner with the details in the server log only.
import { pbkdf2 } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeDns } from '@personal-automations/testing';
import { ValidationError } from '../src/errors.ts';
import type { WebhookLogger } from '../src/webhooks/failures.ts';
import { HostResolutionError, HostResolver } from '../src/webhooks/resolver.ts';
import { WebhookSender } from '../src/webhooks/sender.ts';
import { BlockedAddressError, UrlGuard } from '../src/webhooks/url-guard.ts';

const HANGING = Array.from({ length: 8 }, (_, i) => `hang${i}.test`);
const dns = await startFakeDns({
  records: {
    'public.test': ['93.184.216.34', '2606:2800:220:1::1'],
    'internal.test': ['10.0.0.5'],
    'mixed.test': ['93.184.216.34', '::1'], // one blocked address is enough to refuse
  },
  silent: ['hang.test', ...HANGING],
});
afterAll(() => dns.close());

const resolverWith = (timeoutMs: number) => new HostResolver({ timeoutMs, servers: [dns.server] });

/** A logger that keeps what it is given. */
function recordingLog(): WebhookLogger & { lines: { obj: object; msg: string }[] } {
  const lines: { obj: object; msg: string }[] = [];
  return { lines, warn: (obj, msg) => void lines.push({ obj, msg }) };
}

describe('HostResolver (c-ares, WEBHOOK_DNS_SERVERS, WEBHOOK_DNS_TIMEOUT_SECONDS)', () => {
  it('returns the A and AAAA addresses the configured name server gives', async () => {
    const addresses = await resolverWith(5000).resolve('public.test');
    expect(addresses).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('a name the server does not know: "Could not resolve the host", the name and codes in the detail only', async () => {
    const error = await resolverWith(5000)
      .resolve('missing.test')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostResolutionError);
    expect(error).toMatchObject({
      message: 'Could not resolve the host',
      timedOut: false,
      detail: 'resolving missing.test: A ENOTFOUND, AAAA ENOTFOUND',
    });
  });

  it('a name server that never answers: gives up at the deadline with "Timed out resolving the host"', async () => {
    const timeoutMs = 300;
    const started = performance.now();
    const error = await resolverWith(timeoutMs)
      .resolve('hang.test')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostResolutionError);
    expect(error).toMatchObject({ message: 'Timed out resolving the host', timedOut: true });
    expect(performance.now() - started).toBeLessThan(timeoutMs + 5000); // the deadline, with room for a loaded machine
    expect(dns.queries).toContain('hang.test');
  });

  it('localhost and *.localhost are loopback (RFC 6761) without asking the name server, which c-ares would (it does not read /etc/hosts)', async () => {
    for (const host of ['localhost', 'api.localhost', 'LOCALHOST.']) {
      expect((await resolverWith(5000).resolve(host)).map((a) => a.address)).toEqual(['127.0.0.1', '::1']);
    }
    expect(dns.queries.filter((name) => name.includes('localhost'))).toEqual([]);
  });

  it('while lookups hang, the libuv thread pool stays free: pbkdf2 and a file read finish long before any lookup gives up', async () => {
    const timeoutMs = 5000;
    const resolver = resolverWith(timeoutMs);
    let settled = 0;
    // twice as many as libuv's 4 threads: with getaddrinfo these would hold all of them
    const lookups = HANGING.map((host) => resolver.resolve(host).finally(() => settled++));
    while (HANGING.some((host) => dns.queries.filter((name) => name === host).length < 2))
      await new Promise((resolve) => setTimeout(resolve, 10));

    const started = performance.now();
    const hash = promisify(pbkdf2);
    await Promise.all([...HANGING.map((_, i) => hash('password', `salt${i}`, 1000, 32, 'sha256')), readFile(import.meta.filename)]);
    const elapsed = performance.now() - started;
    expect(settled).toBe(0); // every lookup is still waiting for its name server
    expect(elapsed).toBeLessThan(timeoutMs / 2);

    const outcomes = await Promise.allSettled(lookups);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as HostResolutionError).timedOut)).toEqual(HANGING.map(() => true));
  }, 30_000);
});

describe('UrlGuard', () => {
  const guard = new UrlGuard(resolverWith(1000));

  it('refuses a name that resolves to a private address (any of its addresses) with a reason that names no address; the log has it', async () => {
    for (const [url, address] of [
      ['https://internal.test/hook', '10.0.0.5'],
      ['https://mixed.test/', '::1'],
    ] as const) {
      const log = recordingLog();
      const error = await guard.assertPublicUrl(url, log).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        message: 'Webhook URL is not allowed',
        details: { url, reason: 'URL resolves to a non-public address' },
      });
      expect(JSON.stringify((error as ValidationError).details)).not.toContain(address);
      expect(JSON.stringify(log.lines)).toContain(address);
    }
  });

  it('accepts a public name, an unknown one and a hanging one at save time (every delivery checks again)', async () => {
    for (const url of ['https://public.test/', 'https://missing.test/', 'https://hang.test/', 'https://93.184.216.34/']) {
      await expect(guard.assertPublicUrl(url, recordingLog())).resolves.toBeUndefined();
    }
  });

  it('publicAddresses refuses address literals without resolving them', async () => {
    await expect(guard.publicAddresses('169.254.169.254')).rejects.toBeInstanceOf(BlockedAddressError);
    expect(await guard.publicAddresses('93.184.216.34')).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });
});

describe('WebhookSender behind the guard: fixed reasons, details in the log', () => {
  const sender = new WebhookSender({ guard: new UrlGuard(resolverWith(300)), timeoutMs: 10_000, userAgent: 'test' });
  const send = (url: string, log: WebhookLogger) =>
    sender.send({ url, secret: 's', eventType: 'webhook.test', body: '{}', messageId: 'm-1' }, log);

  it.each([
    ['http://internal.test/hook', 'URL resolves to a non-public address', true, '10.0.0.5'],
    ['http://10.1.2.3:8080/', 'URL resolves to a non-public address', true, '10.1.2.3'],
    ['http://missing.test/', 'Could not resolve the host', false, 'ENOTFOUND'],
    ['http://hang.test/', 'Timed out resolving the host', false, 'hang.test'],
  ])('%s: "%s"', async (url, reason, refused, detail) => {
    const log = recordingLog();
    expect(await send(url, log)).toEqual({
      success: false,
      statusCode: null,
      responseBody: null,
      error: reason,
      refused,
      respondedAt: null,
    });
    expect(log.lines).toEqual([
      {
        obj: expect.objectContaining({ deliveryId: 'm-1', detail: expect.stringContaining(detail) }),
        msg: `webhook delivery attempt failed: ${reason}`,
      },
    ]);
  });
});
