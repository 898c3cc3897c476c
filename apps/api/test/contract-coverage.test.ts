// The tRPC and REST surfaces cannot drift: every procedure is a REST operation (it has OpenAPI
// meta; a subscription, its `stream` meta: a POST answered as server-sent events), every REST
// operation is routed and documented, and the access the document declares is what the route enforces.
import type { AnyRouter } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter, procedureTable, publicProcedure, router } from '@personal-automations/router';
import { buildOperations } from '../src/rest/operations.ts';
import { useTestApp } from './helpers.ts';
import { operationsOf } from './openapi-support.ts';

/** Procedures that are not REST operations, or whose OpenAPI meta lacks what the document needs. */
function procedureProblems(target: AnyRouter): string[] {
  const problems: string[] = [];
  for (const { path, meta, output, type } of procedureTable(target).values()) {
    if (type === 'subscription') {
      if (!meta.stream) problems.push(`${path} is a subscription without stream meta: REST cannot serve it`);
      else if (!meta.stream.summary || !meta.stream.tags.length) problems.push(`${path} has no summary or no tag`);
    } else if (!meta.openapi) problems.push(`${path} has no OpenAPI meta`);
    else {
      if (!meta.openapi.summary) problems.push(`${path} has no summary`);
      if (!meta.openapi.tags?.length) problems.push(`${path} has no tag`);
      if (!output) problems.push(`${path} has no output schema`);
    }
  }
  return problems;
}

const t = useTestApp();

describe('tRPC and REST stay in step', () => {
  it('every procedure is a REST operation with a summary, a tag and an output schema', () => {
    expect(procedureProblems(appRouter)).toEqual([]);
  });

  it('the rule catches a procedure without meta and a missing summary', () => {
    const drifted = router({
      documented: publicProcedure
        .meta({ openapi: { method: 'GET', path: '/documented', tags: ['x'], summary: 'Fine' } })
        .input(z.void())
        .output(z.void())
        .query(() => undefined),
      forgotten: publicProcedure.input(z.void()).query(() => 'no meta'),
      unstreamed: publicProcedure.input(z.void()).subscription(async function* () {
        yield 1;
      }),
      terse: publicProcedure
        .meta({ openapi: { method: 'GET', path: '/terse', tags: ['x'] } })
        .input(z.void())
        .output(z.void())
        .query(() => undefined),
    });
    expect(procedureProblems(drifted)).toEqual([
      'forgotten has no OpenAPI meta',
      'unstreamed is a subscription without stream meta: REST cannot serve it',
      'terse has no summary',
    ]);
  });

  it('no two procedures claim the same method and path', () => {
    const keys = buildOperations(appRouter).map((op) => `${op.method} ${op.openApiPath}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('every REST procedure is in the served document and answers on its route; without credentials, exactly the secured ones answer 401', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const documented = new Map(operationsOf(doc).map((o) => [o.key, o.operation]));
    const operations = buildOperations(appRouter);
    expect(operations.length).toBe(procedureTable(appRouter).size);
    for (const op of operations) {
      const operation = documented.get(`${op.method} ${op.openApiPath}`);
      expect(operation, `${op.method} ${op.openApiPath}`).toBeDefined();
      const url = `/api/v1${op.openApiPath.replace(/\{[^}]+\}/g, '3fa85f64-5717-4562-b3fc-2c963f66afa6')}`;
      const res = await t.app.inject({ method: op.method, url });
      expect(res.statusCode, `${op.method} ${url}`).not.toBe(405);
      expect(res.body, `${op.method} ${url}`).not.toBe('{"detail":"Not Found"}');
      const secured = (operation!.security ?? []).length > 0;
      expect(res.body === '{"detail":"Not authenticated"}', `${op.method} ${url}: ${res.statusCode} ${res.body.slice(0, 80)}`).toBe(
        secured,
      );
    }
  });
});
