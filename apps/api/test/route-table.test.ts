// The route table the API prints for `personal_automations server routes` (src/route-table.ts,
// src/print-routes.ts): every REST operation named after its procedure, every tRPC procedure, read
// from the built server's own route tree.
import { describe, expect, it } from 'vitest';
import { loadSettings, readEnvFile } from '@personal-automations/config';
import { appRouter, buildOperations } from '../src/index.ts';
import { listRoutes, parseRouteTree } from '../src/route-table.ts';

describe('route table', () => {
  it('lists every REST operation once, named after its procedure, and every tRPC procedure', async () => {
    // the settings as `server routes` reads them: listRoutes connects nowhere, embedded database included
    const routes = await listRoutes(loadSettings({ ...readEnvFile(), ...process.env }));
    // every REST operation, each once, named after its procedure
    expect(
      routes
        .filter((r) => r.kind === 'rest')
        .map((r) => `${r.method} ${r.path} ${r.name}`)
        .sort(),
    ).toEqual(
      buildOperations(appRouter)
        .map((op) => `${op.method} /api/v1${op.openApiPath} ${op.procedurePath}`)
        .sort(),
    );
    expect(routes).toContainEqual({ kind: 'http', method: 'GET', path: '/api/v1/openapi.json', name: 'openapi' });
    expect(
      routes
        .filter((r) => r.kind === 'trpc')
        .map((r) => r.name)
        .sort(),
    ).toEqual(Object.keys(appRouter._def.procedures).sort());
    expect(routes).toContainEqual({ kind: 'websocket', method: 'GET (WebSocket)', path: '/api/v1/ws/agent', name: 'agent' });
  });

  it("reads nested paths out of Fastify's route tree", () => {
    const tree = [
      '├── /trpc/:path (GET, POST)',
      '├── /api/v1/items (GET, HEAD, POST)',
      '│   └── /:item_id (GET, HEAD, DELETE)',
      '│       └── /tags (GET)',
      '├── /docs (GET)',
      '│   └── / (GET)',
      '│       └── js/app.js (GET)',
      '└── * (OPTIONS)',
    ].join('\n');
    expect(parseRouteTree(tree)).toEqual([
      { method: 'GET', path: '/trpc/:path' },
      { method: 'POST', path: '/trpc/:path' },
      { method: 'GET', path: '/api/v1/items' },
      { method: 'HEAD', path: '/api/v1/items' },
      { method: 'POST', path: '/api/v1/items' },
      { method: 'GET', path: '/api/v1/items/:item_id' },
      { method: 'HEAD', path: '/api/v1/items/:item_id' },
      { method: 'DELETE', path: '/api/v1/items/:item_id' },
      { method: 'GET', path: '/api/v1/items/:item_id/tags' },
      { method: 'GET', path: '/docs' },
      { method: 'GET', path: '/docs/' },
      { method: 'GET', path: '/docs/js/app.js' },
      { method: 'OPTIONS', path: '*' },
    ]);
  });
});
