// The docs UI at /docs: served with its script from the installed package (no CDN, so it works
// offline), pointed at the served document, and absent in production like the document itself.
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { testSettings, useTestApp } from './helpers.ts';

const t = useTestApp();

describe('docs UI', () => {
  it('/docs redirects to /docs/, an HTML page that loads the UI from this server', async () => {
    const bare = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/docs/');

    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const scripts = [...page.body.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['js/scalar.js']);
    // Nothing is fetched from another host: no absolute URLs in tags, default web fonts off.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page.body).toContain(`"url": "${t.settings.API_V1_STR}/openapi.json"`);
    expect(page.body).toContain('"withDefaultFonts": false');
  });

  it('serves the UI script itself', async () => {
    const script = await t.app.inject({ method: 'GET', url: '/docs/js/scalar.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);
    expect(script.body.length).toBeGreaterThan(1_000_000);
    expect(script.body).toContain('createApiReference');
  });

  it('the document it reads is served', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${t.settings.API_V1_STR}/openapi.json` });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toBe('3.1.0');
  });

  it('is hidden (404) in production, with the document', async () => {
    const app = await buildApp({ settings: testSettings(t.databaseUrl, { ENVIRONMENT: 'production', SECRET_KEY: 'p'.repeat(40) }) });
    try {
      for (const url of ['/docs', '/docs/', '/docs/js/scalar.js', '/api/v1/openapi.json']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
        expect(res.json(), url).toEqual({ detail: 'Not Found' });
      }
    } finally {
      await app.close();
    }
  });
});
