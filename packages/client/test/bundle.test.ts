// The client bundles for a browser without any server code: the router is imported as a type only.
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = path.resolve(import.meta.dirname, '../src/index.ts');

describe('client bundle', () => {
  it('holds the tRPC client and nothing from the API, services, database or contracts', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser',
      format: 'esm',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('@trpc/client'))).toBe(true);
    const serverSide = inputs.filter((p) =>
      /apps\/api\/|packages\/(services|db|contracts|config)\/|node_modules\/(@prisma|fastify|zod|pg)\//.test(p),
    );
    expect(serverSide).toEqual([]);
    // The whole client is about a hundred kilobytes unminified (the SSE subscription link and the
    // EventSource that carries headers included), not a server.
    expect(inputs.some((p) => p.includes('node_modules/eventsource/'))).toBe(true);
    expect(result.outputFiles[0]!.contents.byteLength).toBeLessThan(120_000);
  });
});
