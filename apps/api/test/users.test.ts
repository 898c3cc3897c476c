// /users: self-service and admin-only routes (contract section 2, Users; section 7).
import { describe, expect, it } from 'vitest';
import { login, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
const api = (method: string, url: string, auth: Record<string, string>, payload?: unknown) =>
  t.app.inject({ method: method as never, url: `/api/v1${url}`, payload: payload as never, headers: auth });
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('PATCH /users/me', () => {
  it('changes only what is sent; role is ignored for a non-admin (200, not 500)', async () => {
    const user = await signUp(t);
    const res = await api('PATCH', '/users/me', user.auth, { full_name: '  New Name ', role: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: user.id,
      email: user.email,
      full_name: 'New Name',
      role: 'user',
      updated_at: expect.stringMatching(/\+00:00$/),
    });
  });

  it('a new password is hashed; the old one stops working', async () => {
    const user = await signUp(t);
    expect((await api('PATCH', '/users/me', user.auth, { password: 'a brand new password' })).statusCode).toBe(200);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).hashedPassword).toMatch(/^\$argon2id\$/);
    await expect(login(t, user.email, user.password)).rejects.toThrow(/401/);
    await login(t, user.email, 'a brand new password');
  });

  it('an email that is taken → 409; bad values → 422; nothing changes', async () => {
    const [a, b] = [await signUp(t), await signUp(t)];
    const taken = await api('PATCH', '/users/me', a.auth, { email: b.email });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toEqual({ code: 'ALREADY_EXISTS', message: 'Email already registered', details: { email: b.email } });
    expect((await api('PATCH', '/users/me', a.auth, { password: 'short' })).statusCode).toBe(422);
    expect((await api('PATCH', '/users/me', a.auth, { email: 'nope' })).statusCode).toBe(422);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: a.id } })).email).toBe(a.email);
    expect((await api('PATCH', '/users/me', a.auth, { email: a.email })).statusCode).toBe(200);
  });
});

describe('admin routes', () => {
  it('non-admins get 403 on every admin route', async () => {
    const user = await signUp(t);
    for (const [method, url] of [
      ['GET', '/users'],
      ['GET', `/users/${user.id}`],
      ['PATCH', `/users/${user.id}`],
      ['DELETE', `/users/${user.id}`],
    ]) {
      const res = await api(method!, url!, user.auth, method === 'PATCH' ? {} : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json()).toEqual({
        error: { code: 'AUTHORIZATION_ERROR', message: "Role 'admin' required for this action", details: null },
      });
    }
  });

  it('GET /users pages through users; is_superuser alone does not make an admin', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const superuser = await signUp(t);
    await t.db.user.update({ where: { id: superuser.id }, data: { isSuperuser: true } });
    expect((await api('GET', '/users', superuser.auth)).statusCode).toBe(403);
    const page = await api('GET', '/users?page=1&size=2', admin.auth);
    expect(page.statusCode).toBe(200);
    const body = page.json();
    expect(body).toMatchObject({ page: 1, size: 2, total: expect.any(Number) });
    expect(body.pages).toBe(Math.ceil(body.total / 2));
    expect(body.items).toHaveLength(2);
    expect(page.body).not.toMatch(/password|hash/i);
    expect((await api('GET', '/users?size=101', admin.auth)).statusCode).toBe(422);
  });

  it('GET/PATCH/DELETE /users/{id}: found, changed (incl. role), deleted; unknown → 404 with the id', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const user = await signUp(t);
    expect((await api('GET', `/users/${user.id}`, admin.auth)).json()).toMatchObject({ id: user.id, email: user.email });
    const patched = await api('PATCH', `/users/${user.id}`, admin.auth, { role: 'admin', is_active: false });
    expect(patched.json()).toMatchObject({ role: 'admin', is_active: false });
    // the disabled user is refused everywhere, at once
    expect((await api('GET', '/users/me', user.auth)).json().error.message).toBe('User account is disabled');

    const deleted = await api('DELETE', `/users/${user.id}`, admin.auth);
    expect(deleted.statusCode).toBe(204);
    expect(await t.db.session.count({ where: { userId: user.id } })).toBe(0);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await api(method, `/users/${user.id}`, admin.auth, method === 'PATCH' ? { full_name: 'x' } : undefined);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().error).toEqual({ code: 'NOT_FOUND', message: 'User not found', details: { user_id: user.id } });
    }
    expect((await api('GET', '/users/not-a-uuid', admin.auth)).statusCode).toBe(422);
    expect((await api('GET', `/users/${MISSING}`, admin.auth)).statusCode).toBe(404);
  });

  it('deleting a user who owns webhooks removes the webhooks and their deliveries too', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const owner = await signUp(t);
    const webhook = await t.db.webhook.create({
      data: { name: 'w', url: 'https://example.com/', secret: 's', events: ['user.created'], userId: owner.id },
    });
    await t.db.webhookDelivery.create({ data: { webhookId: webhook.id, eventType: 'user.created', payload: '{}' } });
    expect((await api('DELETE', `/users/${owner.id}`, admin.auth)).statusCode).toBe(204);
    expect(await t.db.webhook.count({ where: { id: webhook.id } })).toBe(0);
    expect(await t.db.webhookDelivery.count({ where: { webhookId: webhook.id } })).toBe(0);
  });

  it('user.updated and user.deleted are written to the outbox', async () => {
    const admin = await signUp(t, { role: 'admin' });
    const user = await signUp(t);
    await api('PATCH', `/users/${user.id}`, admin.auth, { full_name: 'Evented' });
    await api('DELETE', `/users/${user.id}`, admin.auth);
    const events = await t.db.outboxEvent.findMany({
      where: { payload: { path: ['id'], equals: user.id } },
      orderBy: { createdAt: 'asc' },
    });
    expect(events.map((e) => e.eventType)).toEqual(['user.created', 'user.updated', 'user.deleted']);
    expect(events[1]!.payload).toMatchObject({ full_name: 'Evented' });
  });
});
