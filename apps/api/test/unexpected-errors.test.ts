// A route that fails unexpectedly (here: a table the code needs is gone, a bug rather than an
// outage) answers the 500 envelope with its request id and no stack trace or internals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
  await t.db.$executeRawUnsafe('ALTER TABLE items RENAME TO items_gone');
});
afterAll(async () => {
  await t.db.$executeRawUnsafe('ALTER TABLE items_gone RENAME TO items');
});

describe('unexpected failures', () => {
  it('answer 500 INTERNAL_ERROR with X-Request-ID and nothing internal', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/items', headers: { 'x-request-id': 'req-500', ...user.auth } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred', details: null } });
    expect(res.headers['x-request-id']).toBe('req-500');
    expect(res.body).not.toMatch(/at |items_gone|does not exist|prisma/i);
  });

  it('the tRPC endpoint reports INTERNAL_SERVER_ERROR without a stack', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/trpc/items.list?input=%7B%7D', headers: user.auth });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.data.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.json().error.message).toBe('An unexpected error occurred');
    expect(res.body).not.toMatch(/stack|items_gone|does not exist|prisma/i);
  });
});
