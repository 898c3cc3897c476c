// CORS (listed origins echoed with credentials, other origins' preflights refused with 400), and
// the OpenAPI document generated from the routers.
import { describe, expect, it } from 'vitest';
import { appRouter } from '@personal-automations/router';
import { buildApp } from '../src/app.ts';
import { buildOperations } from '../src/rest/operations.ts';
import { testSettings, useTestApp } from './helpers.ts';

const t = useTestApp();

describe('CORS', () => {
  it('echoes a listed origin with credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health', headers: { origin: 'http://localhost:3000' } });
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('a preflight from a listed origin → 200; from another origin → 400', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/items',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
      });
    const ok = await preflight('http://localhost:8080');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    expect(String(ok.headers['access-control-allow-methods'])).toContain('PATCH');
    const bad = await preflight('http://evil.example');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toBe('Disallowed CORS origin');
  });

  it('a simple request from an unlisted origin gets no CORS headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health', headers: { origin: 'http://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with every REST operation and its real statuses', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe(t.settings.PROJECT_NAME);
    for (const op of buildOperations(appRouter)) {
      const operation = doc.paths[op.openApiPath]?.[op.method.toLowerCase()];
      expect(operation, `${op.method} ${op.openApiPath}`).toBeDefined();
      expect(Object.keys(operation.responses)).toContain(String(op.successStatus));
    }
    const items = doc.paths['/items'];
    expect(Object.keys(items.post.responses).sort()).toEqual(['201', '401', '413', '415', '422', '500']);
    expect(items.post.security).toEqual([{ HTTPBearer: [] }]);
    expect(items.get.parameters.map((p: { name: string }) => p.name)).toEqual(['page', 'size']);
    expect(Object.keys(doc.paths['/items/{item_id}'].delete.responses).sort()).toEqual(['204', '401', '404', '413', '415', '422', '500']);
    expect(doc.paths['/auth/login'].post.requestBody.content['application/x-www-form-urlencoded']).toBeDefined();
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/ready'].get.deprecated).toBe(true);
    expect(doc.paths['/health/ready'].get.responses['503']).toBeDefined();
    expect(doc.components.schemas.HTTPValidationError).toBeDefined();
    expect(doc.components.schemas.ErrorEnvelope).toBeDefined();
  });

  it('is not served in production', async () => {
    const app = await buildApp({ settings: testSettings(t.databaseUrl, { ENVIRONMENT: 'production', SECRET_KEY: 'p'.repeat(40) }) });
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    await app.close();
    expect(res.statusCode).toBe(404);
  });
});
