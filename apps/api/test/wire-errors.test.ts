// Bad input gets the contract's error, never a 500: the 422 `detail` list, 404/405/307,
// 413 for oversized bodies, and nothing half-written in the database.
import { beforeAll, describe, expect, it } from 'vitest';
import { json, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
let auth: Record<string, string>;
beforeAll(async () => {
  auth = (await signUp(t)).auth;
});
const inject = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: method as never, url: `/api/v1${url}`, payload: payload as never, headers: { ...auth, ...headers } });
const itemCount = async () => JSON.parse((await inject('GET', '/items?size=1')).body).total as number;

describe('request validation → 422 detail list', () => {
  it('a missing field', async () => {
    const res = await inject('POST', '/items', {});
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'title'], msg: 'Field required', input: {} }] });
  });

  it('title: null on PATCH is refused, and the item is unchanged', async () => {
    const item = (await inject('POST', '/items', { title: 'keep' })).json();
    const res = await inject('PATCH', `/items/${item.id}`, { title: null });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'string_type', loc: ['body', 'title'], input: null });
    expect((await inject('GET', `/items/${item.id}`)).json().title).toBe('keep');
  });

  it('a title over 255 characters (after stripping)', async () => {
    const res = await inject('POST', '/items', { title: 'x'.repeat(256) });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'string_too_long', loc: ['body', 'title'], ctx: { max_length: 255 } });
    expect((await inject('POST', '/items', { title: ` ${'x'.repeat(255)} ` })).statusCode).toBe(201);
  });

  it('wrong JSON types', async () => {
    const res = await inject('POST', '/items', { title: 5, description: ['a'] });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail.map((d: { loc: unknown[]; type: string }) => [d.loc, d.type])).toEqual([
      [['body', 'title'], 'string_type'],
      [['body', 'description'], 'string_type'],
    ]);
  });

  it('page 0 and size 101 → one error each, query values echoed as strings', async () => {
    const res = await inject('GET', '/items?page=0&size=101');
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toEqual([
      { type: 'greater_than_equal', loc: ['query', 'page'], msg: 'Input should be greater than or equal to 1', input: '0', ctx: { ge: 1 } },
      { type: 'less_than_equal', loc: ['query', 'size'], msg: 'Input should be less than or equal to 100', input: '101', ctx: { le: 100 } },
    ]);
  });

  it('non-numeric and fractional page numbers', async () => {
    for (const page of ['abc', '1.5', '1e999', '1e3', '']) {
      const res = await inject('GET', `/items?page=${encodeURIComponent(page)}`);
      expect(res.statusCode, page).toBe(422);
      expect(res.json().detail[0], page).toMatchObject({ type: 'int_parsing', loc: ['query', 'page'], input: page });
    }
  });

  it('a non-UUID id', async () => {
    for (const id of ['not-a-uuid', '123', '0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5', '0b7c7a4e1c2d4e5f8a9b0c1d2e3f4a5bzz']) {
      const res = await inject('GET', `/items/${id}`);
      expect(res.statusCode, id).toBe(422);
      expect(res.json().detail[0], id).toMatchObject({ type: 'uuid_parsing', loc: ['path', 'item_id'], input: id });
    }
  });

  it('malformed JSON → json_invalid', async () => {
    const res = await inject('POST', '/items', '{"title": ', json);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' });
  });

  it('a body that is not a JSON object, or not JSON at all', async () => {
    for (const [payload, headers] of [
      ['[1,2]', json],
      ['"text"', json],
      ['title=x', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['plain words', { 'content-type': 'text/plain' }],
    ] as const) {
      const res = await inject('POST', '/items', payload, headers);
      expect(res.statusCode, payload).toBe(422);
      expect(res.json().detail[0].loc[0], payload).toBe('body');
    }
  });

  it('a 5 MB body → 413, and nothing is stored', async () => {
    const before = await itemCount();
    const res = await inject('POST', '/items', JSON.stringify({ title: 'big', description: 'x'.repeat(5 * 1024 * 1024) }), json);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: 'Request Entity Too Large' });
    expect(await itemCount()).toBe(before);
  });

  it('unicode and control characters are stored as sent', async () => {
    const title = 'naïve 日本語 🚀 \u0007 \u202e';
    const res = await inject('POST', '/items', { title });
    expect(res.statusCode).toBe(201);
    expect((await inject('GET', `/items/${res.json().id}`)).json().title).toBe(title);
  });

  it('NUL characters, which PostgreSQL text cannot hold, are refused with 422', async () => {
    const before = await itemCount();
    for (const body of [{ title: 'a\u0000b' }, { title: 'ok', description: '\u0000' }]) {
      const res = await inject('POST', '/items', body);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail[0]).toMatchObject({ type: 'value_error', loc: ['body', Object.keys(body).at(-1)] });
    }
    expect(await itemCount()).toBe(before);
  });
});

describe('routing errors', () => {
  it('unknown path → 404 {"detail": "Not Found"}', async () => {
    for (const url of ['/api/v1/nonexistent-endpoint', '/somewhere-else']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: 'Not Found' });
    }
  });

  it('wrong method → 405 with Allow', async () => {
    const res = await inject('PUT', '/items');
    expect(res.statusCode).toBe(405);
    expect(res.json()).toEqual({ detail: 'Method Not Allowed' });
    expect(res.headers.allow).toBe('GET, POST');
    expect((await inject('POST', '/items/0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b')).headers.allow).toBe('GET, PATCH, DELETE');
  });

  it('a trailing slash on a collection → 307 to the path without it, query kept', async () => {
    const res = await inject('GET', '/items/?page=2');
    expect(res.statusCode).toBe(307);
    expect(res.headers.location).toBe('/api/v1/items?page=2');
  });
});

describe('request ids and unexpected errors', () => {
  it('echoes a sent X-Request-ID and generates one otherwise, errors included', async () => {
    expect((await inject('GET', '/health', undefined, { 'x-request-id': 'abc-123' })).headers['x-request-id']).toBe('abc-123');
    const generated = (await inject('GET', '/nope')).headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect((await inject('GET', '/health', undefined, { 'x-request-id': 'bad id\twith spaces' })).headers['x-request-id']).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });
});
