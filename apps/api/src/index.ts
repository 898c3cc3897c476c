export type { AppRouter } from '@personal-automations/router';
export { appRouter, createCaller } from '@personal-automations/router';
export type { BuildAppOptions } from './app.ts';
export { BODY_LIMIT_BYTES, buildApp } from './app.ts';
export type { RestOperation } from './rest/operations.ts';
export { buildOperations } from './rest/operations.ts';
