export { buildApp, BODY_LIMIT_BYTES } from './app.ts';
export type { BuildAppOptions } from './app.ts';
export { appRouter, createCaller } from './routers/index.ts';
export type { AppRouter } from './routers/index.ts';
export { buildOperations } from './rest/operations.ts';
export type { RestOperation } from './rest/operations.ts';
