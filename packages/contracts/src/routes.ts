import { z } from 'zod';

// The API's route table, as the API prints it (`node apps/api/src/print-routes.ts`) and as
// `personal_automations server routes --json` shows it: the one shape both sides of that pipe read.

/** rest: an operation generated from a procedure; http: another HTTP route (docs, openapi.json); trpc: a procedure at /trpc/<name>. */
export const RouteKind = z.enum(['rest', 'http', 'trpc', 'websocket']);

export const RouteEntry = z.object({
  kind: RouteKind,
  method: z.string(),
  /** OpenAPI style: `{item_id}`, not Fastify's `:item_id`. */
  path: z.string(),
  /** The procedure behind a REST route or tRPC path; otherwise a short label (`openapi`, `docs`, `agent`). */
  name: z.string(),
});
export type RouteEntry = z.infer<typeof RouteEntry>;

export const RouteTable = z.array(RouteEntry);
