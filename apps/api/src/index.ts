export type { BuildAppOptions } from './app.ts';
export { BODY_LIMIT_BYTES, buildApp } from './app.ts';
export type { RestOperation } from './rest/operations.ts';
export { buildOperations } from './rest/operations.ts';
export type { AppRouter } from './routers/index.ts';
export { appRouter, createCaller } from './routers/index.ts';
