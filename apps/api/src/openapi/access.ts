// Who may call a procedure, read from the middlewares it was built with rather than declared
// again in its meta, so the document's security and 401/403 answers cannot disagree with the code.
import type { AnyRouter } from '@trpc/server';
import { adminProcedure, authedProcedure } from '../trpc/trpc.ts';

export type Access = 'public' | 'user' | 'admin';

type ProcedureLike = { _def: { middlewares: unknown[] } };

/** The middleware that a builder added last: every procedure built from it carries that function. */
const guardOf = (builder: unknown) => (builder as ProcedureLike)._def.middlewares.at(-1);
const ADMIN_GUARD = guardOf(adminProcedure);
const AUTH_GUARD = guardOf(authedProcedure);

export function accessOf(procedure: unknown): Access {
  const middlewares = (procedure as ProcedureLike)._def.middlewares;
  if (middlewares.includes(ADMIN_GUARD)) return 'admin';
  if (middlewares.includes(AUTH_GUARD)) return 'user';
  return 'public';
}

/** Every procedure of a router by its dotted path. */
export const proceduresOf = (router: AnyRouter): Record<string, unknown> => router._def.procedures as Record<string, unknown>;
