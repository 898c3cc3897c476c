// The OpenAPI 3.1 document: valid for a standard validator, and complete — every REST operation
// has a summary, tag, security, request schema, every status it can answer with its schema, and
// examples that satisfy their schemas.
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '@personal-automations/router';
import { buildOpenApiDocument } from '../src/openapi/document.ts';
import { buildOperations } from '../src/rest/operations.ts';
import { testSettings, useTestApp } from './helpers.ts';
import { type OpenApiDocument, operationsOf, resolveResponse, schemaValidator } from './openapi-support.ts';

const t = useTestApp();
let doc: OpenApiDocument;
beforeAll(async () => {
  doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
});

const operations = buildOperations(appRouter);
const docOperation = (method: string, path: string) => doc.paths[path]![method.toLowerCase()]!;
const statuses = (method: string, path: string) => Object.keys(docOperation(method, path).responses);
const rateLimitedDoc = () => buildOpenApiDocument(appRouter, operations, testSettings(t.databaseUrl, { RATE_LIMIT_ENABLED: 'true' }));

describe('OpenAPI document', () => {
  it('passes a standard OpenAPI 3.1 validator, served and with rate limiting documented', async () => {
    for (const candidate of [doc, rateLimitedDoc()]) {
      const validator = new Validator();
      const result = await validator.validate(candidate as never);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
    }
  });

  it('the validator is not lenient: a broken document fails', async () => {
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> };
    broken.paths['/items']!.get!.responses = { 200: { content: {} } }; // a response needs a description
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  it('lists every REST operation with an id, summary, known tags and security from its guards', () => {
    const tagNames = new Set(doc.tags!.map((tag) => tag.name));
    const ids = new Set<string>();
    expect(operationsOf(doc)).toHaveLength(operations.length);
    for (const op of operations) {
      const operation = docOperation(op.method, op.openApiPath) as unknown as {
        operationId: string;
        summary?: string;
        tags?: string[];
        security?: unknown;
      };
      const where = `${op.method} ${op.openApiPath}`;
      expect(operation.summary, where).toMatch(/\S/);
      expect(operation.tags?.length, where).toBeGreaterThan(0);
      for (const tag of operation.tags!) expect(tagNames.has(tag), `${where} tag ${tag}`).toBe(true);
      expect(ids.has(operation.operationId), where).toBe(false);
      ids.add(operation.operationId);
      // explicit on public operations too (`[]`), so no global default can apply to them
      expect(operation.security, where).toEqual(op.access === 'public' ? [] : [{ HTTPBearer: [] }]);
    }
  });

  it('every operation lists each status it can answer, by the rules of its kind', () => {
    for (const op of operations) {
      const where = `${op.method} ${op.openApiPath}`;
      const { access, meta } = op;
      const listed = statuses(op.method, op.openApiPath);
      const expected = new Set([String(op.successStatus), '500', ...op.alsoReturns.map(String), ...(meta.errorStatuses ?? []).map(String)]);
      if (access !== 'public') expected.add('401');
      if (access === 'admin') expected.add('403');
      if (op.pathParams.length) expected.add('404');
      if (op.method !== 'GET') for (const status of ['413', '415', '422']) expected.add(status);
      if (op.hasInput) expected.add('422');
      expect(listed.sort(), where).toEqual([...expected].sort());
      if (op.successStatus >= 300) expect(listed, where).not.toContain('200');
    }
  });

  it('documents the statuses the contract names for the routes that exist', () => {
    expect(statuses('POST', '/auth/register')).toContain('409');
    expect(statuses('POST', '/auth/login')).toContain('401');
    expect(statuses('POST', '/auth/refresh')).toContain('401');
    expect(statuses('PATCH', '/users/me')).toContain('409');
    expect(statuses('PATCH', '/users/{user_id}')).toEqual(expect.arrayContaining(['401', '403', '404', '409', '413', '422']));
    expect(statuses('GET', '/health/ready')).toEqual(expect.arrayContaining(['200', '503']));
    expect(statuses('GET', '/health')).toEqual(['200', '500']);
    for (const path of ['/oauth/google/login', '/oauth/google/callback']) {
      const redirect = resolveResponse(doc, docOperation('GET', path).responses['302']!);
      expect(redirect.headers?.Location).toBeDefined();
      expect(redirect.content).toBeUndefined();
    }
  });

  it("401 on a protected route is either FastAPI's detail or the envelope, with WWW-Authenticate", () => {
    const unauthorized = resolveResponse(doc, docOperation('GET', '/items').responses['401']!);
    expect(unauthorized.headers?.['WWW-Authenticate']).toBeDefined();
    const validator = schemaValidator(doc);
    const schema = unauthorized.content!['application/json']!.schema!;
    expect(validator.errors(schema, { detail: 'Not authenticated' })).toBeNull();
    expect(
      validator.errors(schema, { error: { code: 'AUTHENTICATION_ERROR', message: 'Invalid or expired token', details: null } }),
    ).toBeNull();
    expect(validator.errors(schema, { detail: [] })).not.toBeNull();
    const invalidCredentials = resolveResponse(doc, docOperation('POST', '/auth/login').responses['401']!);
    expect(validator.errors(invalidCredentials.content!['application/json']!.schema!, { detail: 'Not authenticated' })).not.toBeNull();
  });

  it('429 with Retry-After on every rate-limited operation when rate limiting is on, and none when off', () => {
    const limited = rateLimitedDoc();
    for (const op of operations) {
      const response = limited.paths[op.openApiPath]![op.method.toLowerCase()]!.responses['429'];
      expect(!!response, `${op.method} ${op.openApiPath}`).toBe(op.rateLimit !== 'none');
      if (response) expect(resolveResponse(limited, response as never).headers?.['Retry-After']).toBeDefined();
    }
    expect(operationsOf(doc).some(({ operation }) => '429' in operation.responses)).toBe(false);
  });

  it('request schemas: JSON bodies, the login form (urlencoded and multipart), query and path parameters', () => {
    const login = docOperation('POST', '/auth/login').requestBody!.content;
    expect(Object.keys(login).sort()).toEqual(['application/x-www-form-urlencoded', 'multipart/form-data']);
    expect(login['application/x-www-form-urlencoded']!.schema!.required).toEqual(['username', 'password']);
    expect(docOperation('POST', '/items').requestBody!.content['application/json']!.schema).toBeDefined();
    expect(docOperation('GET', '/items').parameters!.map((p) => (p as { in: string }).in)).toEqual(['query', 'query']);
    for (const op of operations) {
      const operation = docOperation(op.method, op.openApiPath);
      const pathParameters = (operation.parameters ?? [])
        .filter((p) => (p as { in: string }).in === 'path')
        .map((p) => (p as { name: string }).name);
      expect(pathParameters, `${op.method} ${op.openApiPath}`).toEqual(op.pathParams);
      const takesBody = op.hasInput && !op.bodyless && Object.keys(op.fields).some((field) => !op.pathParams.includes(field));
      expect(!!operation.requestBody, `${op.method} ${op.openApiPath}`).toBe(takesBody);
    }
  });

  it('an object body without required fields is optional, since an absent body reads as {}', () => {
    const update = docOperation('PATCH', '/items/{item_id}').requestBody!;
    expect(update.required).toBe(false);
    expect(docOperation('POST', '/items').requestBody!.required).toBe(true);
  });

  it('has examples for every request body and JSON success body, and every example satisfies its schema', () => {
    const validator = schemaValidator(doc);
    let checked = 0;
    const check = (where: string, schema: unknown, value: unknown) => {
      expect(validator.errors(schema as never, value), `${where}: ${JSON.stringify(value)}`).toBeNull();
      checked++;
    };
    for (const { key, operation } of operationsOf(doc)) {
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
        expect(media.example, `${key} ${type}`).toBeDefined();
        check(`${key} request ${type}`, media.schema, media.example);
      }
      for (const parameter of operation.parameters ?? [])
        if (parameter.example !== undefined) check(`${key} ${parameter.name}`, parameter.schema, parameter.example);
      for (const [status, ref] of Object.entries(operation.responses)) {
        const media = resolveResponse(doc, ref).content?.['application/json'];
        if (!media) continue;
        if (Number(status) < 400) expect(media.example, `${key} ${status}`).toBeDefined();
        if (media.example !== undefined) check(`${key} ${status}`, media.schema, media.example);
        for (const [name, example] of Object.entries((media.examples ?? {}) as Record<string, { value: unknown }>))
          check(`${key} ${status} ${name}`, media.schema, example.value);
      }
    }
    expect(checked).toBeGreaterThan(operations.length * 2);
  });

  it('an example that breaks its schema is caught', () => {
    const validator = schemaValidator(doc);
    const schema = docOperation('POST', '/items').requestBody!.content['application/json']!.schema!;
    expect(validator.errors(schema, { description: 'no title' })).not.toBeNull();
  });
});
