// The tRPC side of the API, shared by the HTTP server (apps/api), TypeScript clients (the router's
// type) and server-side callers: the procedures, their base procedures and context, and the table
// the HTTP surface reads them from.
export { type Context, clientInfo, createContext, type ResponseControl } from './context.ts';
export { bearerToken, cookieValue } from './credentials.ts';
export { appErrorOf, toTrpcError } from './errors.ts';
export { type ProcedureEntry, type ProcedureType, procedureTable } from './procedure-table.ts';
export { type AppRouter, appRouter, createCaller } from './routers/index.ts';
export {
  type Access,
  adminProcedure,
  authedProcedure,
  cacheHeadersFor,
  credentialsProcedure,
  type DeclaredMeta,
  type Meta,
  probeProcedure,
  publicProcedure,
  type RateLimitPolicy,
  type RestDocMeta,
  router,
  type StreamMeta,
} from './trpc.ts';
