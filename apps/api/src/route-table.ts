// The route table: what a built (never started) API server serves, read from Fastify's own route
// tree so it cannot drift from the server: every REST operation with its procedure name, the other
// HTTP routes (docs, OpenAPI document), the tRPC procedures and the WebSocket.
// `personal_automations server routes` shows it, through print-routes.ts.
import type { Settings } from '@personal-automations/config';
import type { RouteEntry } from '@personal-automations/contracts';
import type { ProcedureType } from '@personal-automations/router';
import { buildApp } from './app.ts';
import { appProcedures, restOperations } from './catalog.ts';

/** The agent's WebSocket (relative to API_V1_STR); Fastify shows it as a GET route. */
export const AGENT_WEBSOCKET_PATH = '/ws/agent';

const TRPC_METHODS: Record<ProcedureType, string> = { query: 'GET', mutation: 'POST', subscription: 'GET (SSE)' };

/** Method/path pairs out of Fastify's `printRoutes({ commonPrefix: false })` tree. */
export function parseRouteTree(tree: string): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (depth > 0 ? parents[depth - 1]! : '') + match[2]!;
    parents[depth] = path;
    parents.length = depth + 1;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path });
  }
  return routes;
}

const byPathThenMethod = (a: RouteEntry, b: RouteEntry) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method);

/**
 * Settings under which building the app connects nowhere: a database URL that is never queried
 * (Prisma connects on the first query) instead of opening the embedded database, and no Redis.
 */
const withoutConnections = (settings: Settings): Settings => {
  const url = 'postgresql://routes@127.0.0.1:1/routes';
  return { ...settings, database: { kind: 'postgresql', url }, databaseUrl: url, redisEnabled: false };
};

/** Fastify's route tree of the app built from `settings`, without starting it or connecting anywhere. */
async function routeTree(settings: Settings): Promise<string> {
  const app = await buildApp({ settings: withoutConnections(settings), logger: false });
  try {
    await app.ready();
    return app.printRoutes({ commonPrefix: false });
  } finally {
    await app.close();
  }
}

/** The HTTP routes (REST named after their procedures), then the tRPC procedures, each group sorted. */
export async function listRoutes(settings: Settings): Promise<RouteEntry[]> {
  const tree = await routeTree(settings);
  const prefix = settings.API_V1_STR;
  const operationNames = new Map(restOperations().map((op) => [`${op.method} ${prefix}${op.openApiPath}`, op.procedurePath]));
  const http: RouteEntry[] = parseRouteTree(tree)
    // HEAD comes with every GET, `*` OPTIONS is the CORS preflight, /trpc/:path is listed per procedure below
    .filter(({ method, path }) => method !== 'HEAD' && path !== '*' && !path.startsWith('/trpc/'))
    .map(({ method, path: fastifyPath }): RouteEntry => {
      const path = fastifyPath.replace(/:(\w+)/g, '{$1}');
      const procedure = operationNames.get(`${method} ${path}`);
      if (procedure) return { kind: 'rest', method, path, name: procedure };
      if (path === `${prefix}${AGENT_WEBSOCKET_PATH}`) return { kind: 'websocket', method: 'GET (WebSocket)', path, name: 'agent' };
      return { kind: 'http', method, path, name: path.endsWith('/openapi.json') ? 'openapi' : (path.split('/').find(Boolean) ?? path) };
    })
    .sort(byPathThenMethod);
  const trpc = [...appProcedures().values()]
    .map(({ path: name, type }): RouteEntry => ({ kind: 'trpc', method: TRPC_METHODS[type], path: `/trpc/${name}`, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return [...http, ...trpc];
}
