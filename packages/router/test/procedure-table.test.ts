// procedure-table.ts is the one module that reads tRPC's router definitions; this pins what it
// reads, so a tRPC upgrade that changes them fails here, not silently in the REST surface, the
// OpenAPI document or the rate limiter.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { procedureTable } from '../src/procedure-table.ts';
import { adminProcedure, authedProcedure, credentialsProcedure, probeProcedure, publicProcedure, router } from '../src/trpc.ts';

describe('procedure-table', () => {
  const input = z.object({ id: z.string() });
  const testRouter = router({
    open: publicProcedure
      .meta({ openapi: { method: 'GET', path: '/open' } })
      .input(input)
      .query(() => 1),
    nested: router({
      login: credentialsProcedure.mutation(() => 2),
      probe: probeProcedure.query(() => 3),
      mine: authedProcedure.meta({ noStore: true }).query(() => 4),
      admin: adminProcedure.mutation(() => 5),
    }),
  });

  it('lists every procedure by dotted path, with its type, its input and its declared meta', () => {
    const table = procedureTable(testRouter);
    expect([...table.keys()]).toEqual(['open', 'nested.login', 'nested.probe', 'nested.mine', 'nested.admin']);
    expect([...table.values()].map(({ type, meta }) => [type, meta.access, meta.rateLimit])).toEqual([
      ['query', 'public', 'default'],
      ['mutation', 'public', 'auth'],
      ['query', 'public', 'none'],
      ['query', 'user', 'default'],
      ['mutation', 'admin', 'default'],
    ]);
    expect(table.get('open')!.input).toBe(input);
    expect(table.get('open')!.meta.openapi).toEqual({ method: 'GET', path: '/open' });
    // a router's own meta is merged with its base procedure's, not put in its place
    expect(table.get('nested.mine')!.meta).toMatchObject({ access: 'user', rateLimit: 'default', noStore: true });
  });
});
