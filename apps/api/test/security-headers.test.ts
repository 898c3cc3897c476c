// HTTP hardening: helmet's headers on every kind of response (REST, tRPC, errors, 404s), HSTS
// only in production, the docs page's own policy, and Cache-Control: no-store on every response
// that carries a token or a secret (contract 7.1), over REST and tRPC alike.
import { createHash } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { json, type SignedUp, signUp, testSettings, useTestApp } from './helpers.ts';

const t = useTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });

let production: FastifyInstance;
let user: SignedUp;
beforeAll(async () => {
  production = await buildApp({ settings: testSettings(t.databaseUrl, { ENVIRONMENT: 'production', SECRET_KEY: 'p'.repeat(40) }) });
  user = await signUp(t);
});
afterAll(async () => {
  await production?.close();
});

/** A Content-Security-Policy header as directive → sources. */
function cspOf(header: unknown): Record<string, string[]> {
  const directives = String(header ?? '')
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .filter(([name]) => name);
  return Object.fromEntries(directives.map(([name, ...sources]) => [name!, sources]));
}

/** JSON answers load nothing and may be framed by nobody. */
const API_POLICY = { 'default-src': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"] };

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

/** One request of each kind of answer the app gives, by the code path that produces it. */
const EVERY_KIND: [string, InjectOptions, number][] = [
  ['REST success', { method: 'GET', url: '/api/v1/health' }, 200],
  ['REST domain error', { method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer nope' } }, 401],
  ['REST validation error', { method: 'POST', url: '/api/v1/auth/register', headers: json, payload: '{}' }, 422],
  ['malformed JSON', { method: 'POST', url: '/api/v1/auth/register', headers: json, payload: '{' }, 422],
  ['undecodable path', { method: 'GET', url: '/api/v1/items/%ZZ' }, 422],
  ['REST 404', { method: 'GET', url: '/api/v1/nothing-here' }, 404],
  ['REST 405', { method: 'PUT', url: '/api/v1/health' }, 405],
  ['404 outside the API', { method: 'GET', url: '/nothing-here' }, 404],
  ['tRPC success', { method: 'GET', url: '/trpc/health.check' }, 200],
  ['tRPC error', { method: 'GET', url: '/trpc/auth.me' }, 401],
  [
    'refused CORS preflight',
    { method: 'OPTIONS', url: '/api/v1/items', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } },
    400,
  ],
];

describe('security headers', () => {
  it.each(EVERY_KIND)(
    '%s: nosniff, a CSP that loads nothing and forbids framing, no Referer, no HSTS outside production',
    async (_kind, request, status) => {
      const res = await t.app.inject(request);
      expect(res.statusCode).toBe(status);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(cspOf(res.headers['content-security-policy'])).toEqual(API_POLICY);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    },
  );

  it('ENVIRONMENT=production adds HSTS, on errors and 404s too', async () => {
    for (const [kind, request, status] of EVERY_KIND) {
      const res = await production.inject(request);
      expect(res.statusCode, kind).toBe(status);
      expect(res.headers['strict-transport-security'], kind).toBe('max-age=31536000; includeSubDomains');
      expect(cspOf(res.headers['content-security-policy']), kind).toEqual(API_POLICY);
    }
  });
});

describe('Cache-Control: no-store on tokens and secrets', () => {
  let webhookId: string;
  beforeAll(async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: { ...json, ...user.auth },
      payload: { name: 'hook', url: 'http://127.0.0.1:9/hook', events: ['item.created'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    webhookId = created.json().id;
  });

  const login = () => form({ username: user.email, password: user.password });
  const freshRefreshToken = async () => (await signUp(t)).refresh_token;

  it('REST: login, refresh and regenerate-secret', async () => {
    const answers = [
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', ...login() }),
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        headers: json,
        payload: { refresh_token: await freshRefreshToken() },
      }),
      await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${webhookId}/regenerate-secret`, headers: user.auth }),
    ];
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('tRPC: the same procedures, one by one, batched and streamed', async () => {
    const trpc = (path: string, input: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: `/trpc/${path}`, headers: { ...json, ...headers }, payload: JSON.stringify(input) });
    const credentials = { username: user.email, password: user.password };
    const answers = [
      await trpc('auth.login', credentials),
      await trpc('auth.refresh', { refresh_token: await freshRefreshToken() }),
      await trpc('webhooks.regenerateSecret', { webhook_id: webhookId }, user.auth),
      // a batch carries the token of any of its calls
      await trpc('items.create,auth.login?batch=1', { 0: { title: 'x', description: null }, 1: credentials }, user.auth),
      // a streamed batch sends its headers before its calls have run
      await trpc('auth.login?batch=1', { 0: credentials }, { 'trpc-accept': 'application/jsonl' }),
    ];
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect(answers.at(-1)!.body).toContain('access_token');
  });

  it('responses without a token or a secret are not marked', async () => {
    const answers = [
      await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth }),
      await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${webhookId}`, headers: user.auth }),
      await t.app.inject({ method: 'GET', url: '/trpc/auth.me', headers: user.auth }),
    ];
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBeUndefined();
    }
  });
});

describe('the docs page', () => {
  // Resolves the page's relative URLs as a browser would, to tell same-origin from not.
  const ORIGIN = 'http://api.test';
  const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

  it('runs under a policy that allows what it uses: its inline script by hash, its script and the document from this server', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    const csp = cspOf(page.headers['content-security-policy']);
    expect(csp).toMatchObject({ 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"] });

    const inline = [...page.body.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline).toHaveLength(1); // Scalar's start call
    expect(csp['script-src']).toContain(sha256(inline[0]!));
    expect(csp['script-src']).not.toContain(sha256(`${inline[0]!};alert(1)`)); // that script exactly, nothing else
    expect(csp['script-src']).not.toContain("'unsafe-inline'");
    expect(csp['script-src']).not.toContain("'unsafe-eval'");

    const scripts = [...page.body.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => new URL(m[1]!, `${ORIGIN}/docs/`));
    expect(scripts.map((url) => url.pathname)).toEqual(['/docs/js/scalar.js']);
    expect(scripts[0]!.origin).toBe(ORIGIN);
    expect(csp['script-src']).toContain("'self'");
    const script = await t.app.inject({ method: 'GET', url: scripts[0]!.pathname });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);

    // Scalar reads the document with fetch(), and injects its styles at run time.
    const documentUrl = new URL(JSON.parse(`"${/"url": "([^"]+)"/.exec(page.body)![1]}"`), `${ORIGIN}/docs/`);
    expect(documentUrl.origin).toBe(ORIGIN);
    expect(csp['connect-src']).toEqual(["'self'"]);
    const document = await t.app.inject({ method: 'GET', url: documentUrl.pathname });
    expect(document.statusCode).toBe(200);
    expect(document.json().openapi).toBe('3.1.0');
    expect(csp['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it('the rest of the app keeps the API policy', async () => {
    for (const url of ['/docs/js/scalar.js', '/api/v1/openapi.json']) {
      expect(cspOf((await t.app.inject({ method: 'GET', url })).headers['content-security-policy']), url).toEqual(API_POLICY);
    }
  });
});
