// The route table of `server routes`, read from a built (never started) API server, so it lists
// what the server really serves: every REST operation with its procedure name, the other HTTP
// routes (docs, OpenAPI document), the tRPC procedures and the WebSocket.
import type { Settings } from '@personal-automations/config';

export type Route = { kind: 'rest' | 'http' | 'trpc' | 'websocket'; method: string; path: string; name: string };

/** The agent's WebSocket (relative to API_V1_STR); Fastify shows it as a GET route. */
export const AGENT_WEBSOCKET_PATH = '/ws/agent';

/** What a procedure is, as tRPC's router records it. */
type ProcedureDef = { _def: { type: string } };
const TRPC_METHODS: Record<string, string> = { query: 'GET', mutation: 'POST', subscription: 'GET (SSE)' };

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

const byPathThenMethod = (a: Route, b: Route) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method);

/**
 * Settings under which building the app connects nowhere: a database URL that is never queried
 * (Prisma connects on the first query) instead of opening the embedded database, and no Redis.
 */
const withoutConnections = (settings: Settings): Settings => {
  const url = 'postgresql://routes@127.0.0.1:1/routes';
  return { ...settings, database: { kind: 'postgresql', url }, databaseUrl: url, redisEnabled: false };
};

export async function listRoutes(settings: Settings): Promise<Route[]> {
  const { appRouter, buildApp, buildOperations } = await import('@personal-automations/api');
  const app = await buildApp({ settings: withoutConnections(settings), logger: false });
  let tree: string;
  try {
    await app.ready();
    tree = app.printRoutes({ commonPrefix: false });
  } finally {
    await app.close();
  }
  const prefix = settings.API_V1_STR;
  const operationNames = new Map(buildOperations(appRouter).map((op) => [`${op.method} ${prefix}${op.openApiPath}`, op.procedurePath]));
  const http: Route[] = parseRouteTree(tree)
    // HEAD comes with every GET, `*` OPTIONS is the CORS preflight, /trpc/:path is listed per procedure below
    .filter(({ method, path }) => method !== 'HEAD' && path !== '*' && !path.startsWith('/trpc/'))
    .map(({ method, path: fastifyPath }): Route => {
      const path = fastifyPath.replace(/:(\w+)/g, '{$1}');
      const procedure = operationNames.get(`${method} ${path}`);
      if (procedure) return { kind: 'rest', method, path, name: procedure };
      if (path === `${prefix}${AGENT_WEBSOCKET_PATH}`) return { kind: 'websocket', method: 'GET (WebSocket)', path, name: 'agent' };
      return { kind: 'http', method, path, name: path.endsWith('/openapi.json') ? 'openapi' : (path.split('/').find(Boolean) ?? path) };
    })
    .sort(byPathThenMethod);
  const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;
  const trpc = Object.entries(procedures)
    .map(([name, procedure]): Route => ({ kind: 'trpc', method: TRPC_METHODS[procedure._def.type] ?? procedure._def.type, path: `/trpc/${name}`, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return [...http, ...trpc];
}
