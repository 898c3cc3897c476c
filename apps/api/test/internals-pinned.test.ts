// The two modules that read inside libraries pin what they read: zod schemas through their
// public getters (rest/zod-shapes.ts) and tRPC's router definitions (trpc/procedure-table.ts).
// A zod or tRPC upgrade that changes either fails here, not silently in the API.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldKind, fieldsOf, takesInput, unwrapSchema } from '../src/rest/zod-shapes.ts';
import { procedureTable } from '../src/trpc/procedure-table.ts';
import { adminProcedure, authedProcedure, credentialsProcedure, probeProcedure, publicProcedure, router } from '../src/trpc/trpc.ts';

describe('zod-shapes', () => {
  it('sees through optional, default, nullable, prefault, readonly and catch', () => {
    for (const wrapped of [
      z.string().optional(),
      z.string().default('a'),
      z.string().nullable(),
      z.string().prefault('a'),
      z.string().readonly(),
      z.string().catch('a'),
    ]) {
      expect(unwrapSchema(wrapped)?.type, wrapped.type).toBe('string');
    }
    expect(unwrapSchema(z.number().int().optional().nullable())?.type).toBe('number');
  });

  it('tells integers from numbers, and every other kind', () => {
    expect(
      [
        z.number().int(),
        z.int(),
        z.int32(),
        z.number(),
        z.string(),
        z.boolean(),
        z.array(z.string()),
        z.object({}),
        z.uuid(),
        z.enum(['a']),
      ].map(fieldKind),
    ).toEqual(['integer', 'integer', 'integer', 'number', 'string', 'boolean', 'array', 'object', 'string', 'unknown']);
    expect(fieldKind(undefined)).toBe('unknown');
  });

  it('lists an object input’s fields; void and absent inputs take none', () => {
    expect(fieldsOf(z.object({ page: z.number().int().default(1), q: z.string().optional() }))).toEqual({ page: 'integer', q: 'string' });
    expect(fieldsOf(z.string())).toEqual({});
    expect([takesInput(z.void()), takesInput(undefined), takesInput(z.object({}))]).toEqual([false, false, true]);
  });
});

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
