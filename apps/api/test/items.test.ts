// Items end to end over a real socket: contract → router → ItemService → Prisma → PostgreSQL.
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
let auth: Record<string, string>;
beforeAll(async () => {
  auth = (await signUp(t)).auth;
});
const url = (path: string) => `${t.baseUrl}/api/v1${path}`;
/** fetch with the logged-in user's bearer token */
const http = (path: string, init: RequestInit = {}) =>
  fetch(url(path), { ...init, headers: { 'content-type': 'application/json', ...auth, ...(init.headers as Record<string, string>) } });
const post = (body: unknown) => http('/items', { method: 'POST', body: JSON.stringify(body) });
const ISO_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/;

describe('items over HTTP', () => {
  it('POST creates an item: 201, stripped title, updated_at null', async () => {
    const res = await post({ title: '  Groceries  ', description: 'milk', is_active: false, unknown_field: 1 });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    const item = await res.json();
    expect(item).toEqual({
      id: expect.any(String),
      title: 'Groceries',
      description: 'milk',
      is_active: true,
      created_at: expect.stringMatching(ISO_OFFSET),
      updated_at: null,
    });
    expect(item.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('POST with a title only, or an empty title, is accepted', async () => {
    expect((await post({ title: 'only title' })).status).toBe(201);
    const empty = await post({ title: '' });
    expect(empty.status).toBe(201);
    expect((await empty.json()).description).toBeNull();
  });

  it('GET by id returns the stored item; PATCH changes only what is sent and sets updated_at', async () => {
    const created = await (await post({ title: 'Original', description: 'keep me' })).json();
    const fetched = await (await http(`/items/${created.id}`)).json();
    expect(fetched).toEqual(created);

    const patched = await http(`/items/${created.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Renamed' }),
    });
    expect(patched.status).toBe(200);
    const body = await patched.json();
    expect(body).toMatchObject({ id: created.id, title: 'Renamed', description: 'keep me', is_active: true });
    expect(body.updated_at).toMatch(ISO_OFFSET);

    const deactivated = await (
      await http(`/items/${created.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ is_active: false }),
      })
    ).json();
    expect(deactivated).toMatchObject({ title: 'Renamed', is_active: false });
  });

  it('DELETE answers 204 with an empty body, then the item is gone (404)', async () => {
    const created = await (await post({ title: 'to delete' })).json();
    const res = await http(`/items/${created.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const again = await http(`/items/${created.id}`);
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Item not found', details: { item_id: created.id } } });
  });

  it('unknown ids give 404 on GET, PATCH and DELETE, with the id in details', async () => {
    const id = '0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await http(`/items/${id}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'PATCH' ? '{"title":"x"}' : undefined,
      });
      expect(res.status, method).toBe(404);
      expect((await res.json()).error.details).toEqual({ item_id: id });
    }
  });

  it('an upper-case id finds the item and is reported in lower case', async () => {
    const created = await (await post({ title: 'case' })).json();
    const res = await http(`/items/${created.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect((await res.json()).id).toBe(created.id);
  });
});

describe('items require a logged-in user', () => {
  it('no token → 401 Not authenticated; a bad token → 401 envelope', async () => {
    for (const [method, path] of [
      ['GET', '/items'],
      ['POST', '/items'],
      ['GET', '/items/0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'],
      ['DELETE', '/items/0b7c7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'],
    ]) {
      const anonymous = await fetch(url(path!), {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(await anonymous.json()).toEqual({ detail: 'Not authenticated' });
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      const forged = await fetch(url(path!), { method, headers: { authorization: 'Bearer not-a-jwt' } });
      expect(forged.status).toBe(401);
      expect((await forged.json()).error).toEqual({ code: 'AUTHENTICATION_ERROR', message: 'Invalid or expired token', details: null });
    }
  });
});

describe('items pagination', () => {
  it('pages through every row exactly once, with total and pages', async () => {
    const before = await (await http('/items?size=1')).json();
    for (let i = 0; i < 7; i++) await post({ title: `page-${i}` });
    const total = before.total + 7;
    const seen: string[] = [];
    for (let page = 1; page <= Math.ceil(total / 3); page++) {
      const body = await (await http(`/items?page=${page}&size=3`)).json();
      expect(body).toMatchObject({ total, page, size: 3, pages: Math.ceil(total / 3) });
      seen.push(...body.items.map((i: { id: string }) => i.id));
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it('defaults to page 1, size 50; a page past the end is empty', async () => {
    const body = await (await http('/items')).json();
    expect(body).toMatchObject({ page: 1, size: 50 });
    const past = await (await http('/items?page=999&size=100')).json();
    expect(past.items).toEqual([]);
    expect(past.total).toBe(body.total);
  });

  it('inactive items are listed too', async () => {
    const created = await (await post({ title: 'hidden?' })).json();
    await http(`/items/${created.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"is_active":false}' });
    const all = await (await http('/items?size=100')).json();
    expect(all.items.find((i: { id: string }) => i.id === created.id)?.is_active).toBe(false);
  });
});

describe('items pages read together', () => {
  it('a tRPC batch of pages (one statement) answers each page as a call of its own does', async () => {
    for (let i = 0; i < 5; i++) await post({ title: `batched-${i}` });
    const pages = [3, 1, 2, 40, 1];
    const inputs = Object.fromEntries(pages.map((page, i) => [i, { page, size: 2 }]));
    const batchPath = `/trpc/${pages.map(() => 'items.list').join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`;
    const batch = (await (await fetch(`${t.baseUrl}${batchPath}`, { headers: auth })).json()) as Array<{ result: { data: unknown } }>;
    const alone = await Promise.all(pages.map(async (page) => (await http(`/items?page=${page}&size=2`)).json()));
    expect(batch.map((call) => call.result.data)).toEqual(alone);
    expect(alone[0].items).toHaveLength(2);
  });
});
