// The one module that reads a tRPC router's definitions (`router._def.procedures`, each
// procedure's `_def.type`, `_def.meta`, `_def.inputs` and `_def.output`): tRPC has no public API
// that lists procedures. Every other reader (REST, the OpenAPI document, the rate limiter) takes
// this table. test/procedure-table.test.ts pins the shapes read here.
import type { AnyRouter } from '@trpc/server';
import type { DeclaredMeta, Meta } from './trpc.ts';

export type ProcedureType = 'query' | 'mutation' | 'subscription';

export type ProcedureEntry = {
  /** Dotted path, e.g. `items.get`. */
  path: string;
  type: ProcedureType;
  meta: DeclaredMeta;
  /** The input's zod schema (undefined when the procedure takes none). */
  input: unknown;
  output: unknown;
};

type ProcedureDef = { _def: { type: ProcedureType; meta?: Meta; inputs: unknown[]; output?: unknown } };

/** Every procedure of the router by its dotted path, in definition order. */
export function procedureTable(router: AnyRouter): ReadonlyMap<string, ProcedureEntry> {
  const procedures = router._def.procedures as Record<string, ProcedureDef>;
  const table = new Map<string, ProcedureEntry>();
  for (const [path, procedure] of Object.entries(procedures)) {
    const { type, meta, inputs, output } = procedure._def;
    // every procedure here has at most one `.input()`
    table.set(path, { path, type, meta: { access: 'public', rateLimit: 'default', ...meta }, input: inputs[0], output });
  }
  return table;
}
