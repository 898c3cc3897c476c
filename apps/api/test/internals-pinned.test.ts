// rest/zod-shapes.ts reads zod schemas through their public getters; this pins what it reads,
// so a zod upgrade that changes it fails here, not silently in the REST surface. (What the
// router package reads of tRPC is pinned in packages/router/test/procedure-table.test.ts.)
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldKind, fieldsOf, takesInput, unwrapSchema } from '../src/rest/zod-shapes.ts';

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
