// The app's procedures and REST operations, read from appRouter once per process: the tRPC
// plugin, the REST routes, the error handlers and the OpenAPI document all use these.

import { appRouter, type ProcedureEntry, procedureTable } from '@personal-automations/router';
import { buildOperations, type RestOperation } from './rest/operations.ts';

let procedures: ReadonlyMap<string, ProcedureEntry> | undefined;
let operations: RestOperation[] | undefined;

/** Every procedure of appRouter by its dotted path. */
export const appProcedures = (): ReadonlyMap<string, ProcedureEntry> => (procedures ??= procedureTable(appRouter));

/** The REST operations of appRouter. */
export const restOperations = (): RestOperation[] => (operations ??= buildOperations(appRouter));
