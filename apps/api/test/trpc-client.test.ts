// The typed-client path: a tRPC client typed only by the exported AppRouter type calls items.
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
let token = '';
beforeAll(async () => {
  token = (await signUp(t)).access_token;
});
const client = (bearer = token) =>
  createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${t.baseUrl}/trpc`, headers: () => (bearer ? { authorization: `Bearer ${bearer}` } : {}) })],
  });

describe('typed tRPC client', () => {
  it('creates, reads, lists, updates and deletes items with inferred types', async () => {
    const trpc = client();
    const created = await trpc.items.create.mutate({ title: ' typed ', description: null });
    expectTypeOf(created.is_active).toEqualTypeOf<boolean>();
    expect(created.title).toBe('typed');

    const [fetched, page] = await Promise.all([
      trpc.items.get.query({ item_id: created.id }),
      trpc.items.list.query({ page: 1, size: 100 }),
    ]);
    expect(fetched).toEqual(created);
    expect(page.items.map((i) => i.id)).toContain(created.id);

    const updated = await trpc.items.update.mutate({ item_id: created.id, is_active: false });
    expect(updated.is_active).toBe(false);
    await trpc.items.delete.mutate({ item_id: created.id });

    const error = await trpc.items.get.query({ item_id: created.id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'NOT_FOUND',
      httpStatus: 404,
      appCode: 'NOT_FOUND',
      details: { item_id: created.id },
    });
  });

  it('reports invalid input as BAD_REQUEST, and shares the contract with REST', async () => {
    const trpc = client();
    const error = await trpc.items.list.query({ page: 0, size: 50 }).catch((e: unknown) => e);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe('BAD_REQUEST');
    // @ts-expect-error title is required by the contract
    const missing = await trpc.items.create.mutate({}).catch((e: unknown) => e);
    expect((missing as TRPCClientError<AppRouter>).data?.httpStatus).toBe(400);
  });

  it('health procedures are reachable on /trpc too', async () => {
    expect(await client().health.check.query()).toEqual({ status: 'healthy' });
  });

  it('the bearer token in the tRPC context identifies the caller; none → UNAUTHORIZED', async () => {
    const me = await client().auth.me.query();
    expectTypeOf(me.role).toEqualTypeOf<'admin' | 'user'>();
    expect(me.email).toMatch(/@example\.com$/);
    const error = await client('')
      .users.me.query()
      .catch((e: unknown) => e);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe('UNAUTHORIZED');
  });
});
