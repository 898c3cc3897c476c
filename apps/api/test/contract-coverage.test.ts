// The tRPC and REST surfaces cannot drift: every procedure is public REST (it has OpenAPI meta)
// unless it is named below as tRPC-only, and every REST operation is routed and documented.
import type { AnyRouter } from '@trpc/server';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { proceduresOf } from '../src/openapi/access.ts';
import { buildOperations } from '../src/rest/operations.ts';
import { appRouter } from '../src/routers/index.ts';
import { publicProcedure, router, type Meta } from '../src/trpc/trpc.ts';
import { useTestApp } from './helpers.ts';
import { operationsOf } from './openapi-support.ts';

/**
 * Procedures served only over tRPC, each with the reason it has no REST route. Anything else
 * without `meta.openapi` fails this test: add the meta (method, path, tags, summary) instead.
 */
const TRPC_ONLY: Record<string, string> = {};

type ProcedureDef = { _def: { meta?: Meta; output?: unknown; type: string } };

/** Procedures that are neither REST operations nor allowed to be tRPC-only. */
function procedureProblems(target: AnyRouter, trpcOnly: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, procedure] of Object.entries(proceduresOf(target) as Record<string, ProcedureDef>)) {
    const { meta, output, type } = procedure._def;
    if (path in trpcOnly) {
      if (meta?.openapi) problems.push(`${path} is listed as tRPC-only but has OpenAPI meta`);
      continue;
    }
    if (type === 'subscription') problems.push(`${path} is a subscription: REST cannot serve it, list it as tRPC-only`);
    else if (!meta?.openapi) problems.push(`${path} has no OpenAPI meta`);
    else {
      if (!meta.openapi.summary) problems.push(`${path} has no summary`);
      if (!meta.openapi.tags?.length) problems.push(`${path} has no tag`);
      if (!output) problems.push(`${path} has no output schema`);
    }
  }
  for (const path of Object.keys(trpcOnly)) if (!(path in proceduresOf(target))) problems.push(`${path} is listed as tRPC-only but does not exist`);
  return problems;
}

const t = useTestApp();

describe('tRPC and REST stay in step', () => {
  it('every procedure has OpenAPI meta, or is listed as tRPC-only with a reason', () => {
    expect(procedureProblems(appRouter, TRPC_ONLY)).toEqual([]);
    for (const reason of Object.values(TRPC_ONLY)) expect(reason).toMatch(/\S/);
  });

  it('the rule catches a procedure without meta, a stale allow-list entry and a missing summary', () => {
    const drifted = router({
      documented: publicProcedure.meta({ openapi: { method: 'GET', path: '/documented', tags: ['x'], summary: 'Fine' } }).input(z.void()).output(z.void()).query(() => undefined),
      forgotten: publicProcedure.input(z.void()).query(() => 'no meta'),
      terse: publicProcedure.meta({ openapi: { method: 'GET', path: '/terse', tags: ['x'] } }).input(z.void()).output(z.void()).query(() => undefined),
    });
    expect(procedureProblems(drifted, { gone: 'removed long ago' })).toEqual([
      'forgotten has no OpenAPI meta',
      'terse has no summary',
      'gone is listed as tRPC-only but does not exist',
    ]);
  });

  it('no two procedures claim the same method and path', () => {
    const keys = buildOperations(appRouter).map((op) => `${op.method} ${op.openApiPath}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('every REST procedure is in the served document and answers on its route (never the framework 404/405)', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const documented = new Set(operationsOf(doc).map((o) => o.key));
    const operations = buildOperations(appRouter);
    expect(operations.length).toBe(Object.keys(proceduresOf(appRouter)).length - Object.keys(TRPC_ONLY).length);
    for (const op of operations) {
      expect(documented.has(`${op.method} ${op.openApiPath}`), `${op.method} ${op.openApiPath}`).toBe(true);
      const url = `/api/v1${op.openApiPath.replace(/\{[^}]+\}/g, '3fa85f64-5717-4562-b3fc-2c963f66afa6')}`;
      const res = await t.app.inject({ method: op.method, url });
      expect(res.statusCode, `${op.method} ${url}`).not.toBe(405);
      expect(res.body, `${op.method} ${url}`).not.toBe('{"detail":"Not Found"}');
    }
  });
});
